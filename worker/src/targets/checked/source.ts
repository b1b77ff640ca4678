/**
 * Home's answer, checked as it streams (README "Checked answers"). What the client may see now goes
 * on; tool-call deltas, JSON asked for and text that may be a tool call written as text are held —
 * ALIVE goes in their place, so the attempt's deadlines see home working — and at the finish the held
 * parts go out, repaired if need be, or the attempt fails with InvalidAnswer. Held parts do not count
 * as the answer having begun, so an answer that fails before it showed anything is replaced unseen.
 *
 * `repair_only` sends a failed answer on as it came; `pass` holds nothing and only counts.
 */
import {
  AnswerStreamChecker,
  checkAnswer,
  requestFamily,
  type Answer,
  type AnswerCheckMode,
  type AnswerFinishReason,
  type CheckCode,
  type CheckFailure,
  type Contract,
  type RepairCode,
  type RequestFamily,
} from "@hearth/shared";
import { ALIVE, type Chunk, type StreamItem } from "../../stream/chunks.js";

/** Home's answer failed a check and the policy says escalate: the attempt fails, the next target answers. */
export class InvalidAnswer extends Error {
  readonly failure: CheckFailure;
  constructor(failure: CheckFailure) {
    super(`the answer failed the ${failure.check} check (${failure.detail})`);
    this.name = "InvalidAnswer";
    this.failure = failure;
  }
}

/** One home answer's verdict, for the model's pass rates. */
export interface Checked {
  model: string;
  family: RequestFamily;
  ok: boolean;
  check?: CheckCode;
  repair?: RepairCode;
}

export interface CheckedOptions {
  contract: Contract;
  mode: AnswerCheckMode;
  /** Called once per answer that reaches its finish (or fails mid-stream). */
  onChecked(c: Checked): void;
}

type Meta = Pick<Chunk, "id" | "created" | "model">;

function chunkOf(meta: Meta, delta: Chunk["choices"][number]["delta"], finish: Chunk["choices"][number]["finish_reason"] = null): Chunk {
  return { ...meta, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] };
}

/** An answer's parts as chunks: its text, its refusal, its tool calls (whole), then its finish (if given). */
function partsOf(meta: Meta, a: Answer, finish?: AnswerFinishReason): Chunk[] {
  const out: Chunk[] = [];
  if (a.text) out.push(chunkOf(meta, { content: a.text }));
  if (a.refusal) out.push(chunkOf(meta, { refusal: a.refusal }));
  if (a.toolCalls.length > 0) {
    const tool_calls = a.toolCalls.map((c, index) => ({ index, id: c.id, type: "function" as const, function: { name: c.function.name, arguments: c.function.arguments } }));
    out.push(chunkOf(meta, { tool_calls }));
  }
  if (finish) out.push(chunkOf(meta, {}, finish));
  return out;
}

/** Checks one answer: the stream, transformed as the mode says. */
export async function* checkedSource(items: AsyncIterable<StreamItem>, o: CheckedOptions): AsyncGenerator<StreamItem> {
  const checker = new AnswerStreamChecker(o.contract);
  const family = requestFamily(o.contract);
  let meta: Meta | undefined;
  /** Set once the verdict is in (or, short of escalating, a loop made the rest pass untouched). */
  let settled: "observe" | "given_up" | undefined = o.mode === "pass" ? "observe" : undefined;
  const record = (ok: boolean, extra: Omit<Checked, "model" | "family" | "ok">) => o.onChecked({ model: meta?.model ?? "", family, ok, ...extra });

  /** The chunks to send for one that arrived. */
  const take = (chunk: Chunk): Chunk[] => {
    meta ??= { id: chunk.id, created: chunk.created, model: chunk.model };
    const choice = chunk.choices[0];
    if (!choice) return [chunk];
    const finish = choice.finish_reason;
    if (settled === "observe") {
      checker.feed(choice.delta);
      if (finish) record(...verdictOf(checkAnswer(checker.whole(finish), o.contract)));
      return [chunk];
    }
    if (settled === "given_up") return [chunk];
    const f = checker.feed(choice.delta);
    if (f.kind === "loop") {
      record(false, { check: f.failure.check });
      if (o.mode === "escalate") throw new InvalidAnswer(f.failure);
      settled = "given_up";
      // What was held (this chunk's text included) goes out as it came, and everything after it.
      return partsOf(meta, checker.held(finish ?? undefined), finish ?? undefined);
    }
    const out: Chunk[] = f.kind === "pass" && !finish ? [chunk] : f.kind === "text" && f.text ? [chunkOf(meta, { content: f.text })] : [];
    if (!finish) return out;
    return [...out, ...finishing(finish)];
  };

  /** At the finish: the held parts, repaired or as they came — or the attempt fails. */
  const finishing = (finish: AnswerFinishReason): Chunk[] => {
    const m = meta as Meta;
    const end = checker.end(finish);
    if (end.ok) {
      record(true, end.repair ? { repair: end.repair } : {});
      return partsOf(m, end.send, end.send.finishReason ?? finish);
    }
    record(false, { check: end.check });
    if (o.mode === "escalate") throw new InvalidAnswer(end);
    return partsOf(m, checker.held(finish), finish);
  };

  for await (const item of items) {
    if (item === ALIVE) {
      yield item;
      continue;
    }
    const out = item.flatMap(take);
    yield out.length > 0 ? out : ALIVE;
  }
}

function verdictOf(r: ReturnType<typeof checkAnswer>): [boolean, Omit<Checked, "model" | "family" | "ok">] {
  if (!r.ok) return [false, { check: r.check }];
  return [true, r.repaired ? { repair: r.repair } : {}];
}

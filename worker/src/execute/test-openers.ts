/**
 * Fake openers for the executor's tests: each open() plays the next script — fail to open, or stream
 * chunks with pauses, hang, break — and records what it was asked and whether it was stopped.
 */
import { DEFAULT_RETRY, type AttemptFailure, type PlannedTarget, type RoutePlan } from "@hearth/shared";
import { ALIVE, type Chunk, type StreamItem } from "../stream/chunks.js";
import type { Opener } from "./opener.js";

export type Step =
  | { text: string }
  | { finish: "stop" | "length" | "tool_calls" }
  | { usage: [number, number] }
  | { wait: number }
  | "alive"
  /** Nothing more, ever: ends only when the attempt is aborted (or never, with `deaf`). */
  | "hang"
  | { cut: string }
  /** The source throws this failure (as the target's classify would reduce it). */
  | { fail: AttemptFailure };

export interface Script {
  /** open() rejects with this failure instead of streaming. */
  refuse?: AttemptFailure;
  /** open() takes this long. */
  openMs?: number;
  steps?: Step[];
  /** The source ignores its abort signal (a reader must not wait on it anyway). */
  deaf?: boolean;
}

export class ScriptedFailure extends Error {
  constructor(readonly failure: AttemptFailure) {
    super(failure.message ?? failure.reason ?? failure.kind);
  }
}

export interface FakeOpener extends Opener {
  opened: { prefix: string | undefined; signal: AbortSignal }[];
}

const chunk = (id: string, model: string, delta: Chunk["choices"][number]["delta"], finish: Chunk["choices"][number]["finish_reason"] = null): Chunk => ({
  id,
  object: "chat.completion.chunk",
  created: 1,
  model,
  choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function* play(script: Script, id: string, model: string, signal: AbortSignal): AsyncGenerator<StreamItem> {
  yield [chunk(id, model, { role: "assistant", content: "" })];
  for (const step of script.steps ?? []) {
    if (signal.aborted && !script.deaf) return;
    if (step === "alive") yield ALIVE;
    else if (step === "hang") {
      await new Promise<void>((resolve) => {
        if (!script.deaf) signal.addEventListener("abort", () => resolve(), { once: true });
      });
      return;
    } else if ("wait" in step) await sleep(step.wait);
    else if ("text" in step) yield [chunk(id, model, { content: step.text })];
    else if ("finish" in step) yield [chunk(id, model, {}, step.finish)];
    else if ("usage" in step) yield [{ ...chunk(id, model, {}), choices: [], usage: { prompt_tokens: step.usage[0], completion_tokens: step.usage[1], total_tokens: step.usage[0] + step.usage[1] } }];
    else if ("cut" in step) throw new Error(step.cut);
    else if ("fail" in step) throw new ScriptedFailure(step.fail);
  }
}

export function target(id: string, deadlineMs = 1_000): PlannedTarget {
  const [provider, model] = id.includes("/") ? (id.split("/") as [PlannedTarget["provider"], string]) : (["local", id] as const);
  return { provider, model, id, deadlineMs, why: "test" };
}

export function fakeOpener(t: PlannedTarget, scripts: Script[]): FakeOpener {
  const opened: FakeOpener["opened"] = [];
  let n = 0;
  return {
    target: t,
    opened,
    async open({ signal, prefix }) {
      const script = scripts[Math.min(n++, scripts.length - 1)] ?? {};
      opened.push({ prefix, signal });
      if (script.openMs) await sleep(script.openMs);
      if (script.refuse) throw new ScriptedFailure(script.refuse);
      return play(script, `chatcmpl-${t.id}-${n}`, t.model, signal);
    },
    classify: (err) => (err instanceof ScriptedFailure ? err.failure : { kind: "connection", message: err instanceof Error ? err.message : String(err) }),
  };
}

export function planOf(targets: PlannedTarget[], extra: Partial<RoutePlan> = {}): RoutePlan {
  return {
    mode: "local_first",
    reason: "auto",
    rule: undefined,
    targets,
    skipped: [],
    order: targets.map((t) => t.id),
    hedge: undefined,
    private: false,
    notes: [],
    ...extra,
  };
}

/** Retries without waiting, 3 attempts per target. */
export const RETRY = { ...DEFAULT_RETRY, baseDelayMs: 1 };

export const ok = (text: string): Script => ({ steps: [{ text }, { finish: "stop" }, { usage: [3, 2] }] });

import { contractOf, parseChatRequest, type ChatRequest } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import { PlanRun } from "../../execute/run.js";
import { RETRY, fakeOpener, ok, planOf, target, type Script } from "../../execute/test-openers.js";
import { ALIVE, type Chunk, type StreamItem } from "../../stream/chunks.js";
import { CompletionBuilder } from "../../stream/answer.js";
import { checkedOpener } from "./opener.js";
import { InvalidAnswer, checkedSource, type Checked, type CheckedOptions } from "./source.js";

const weather = { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } };
const req = (extra: object = {}): ChatRequest => parseChatRequest({ model: "auto", messages: [{ role: "user", content: "Oslo" }], ...extra });

const chunk = (delta: Chunk["choices"][number]["delta"], finish: Chunk["choices"][number]["finish_reason"] = null): Chunk => ({
  id: "chatcmpl-home",
  object: "chat.completion.chunk",
  created: 1,
  model: "qwen2.5:7b",
  choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
});
const usage: Chunk = { ...chunk({}), choices: [], usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 } };

/** Home's chunks for this text in 4-character pieces, then its finish and usage (as the relay batches them). */
function home(text: string, finish: "stop" | "length" = "stop"): StreamItem[] {
  const out: StreamItem[] = [[chunk({ role: "assistant", content: "" })]];
  for (let i = 0; i < text.length; i += 4) out.push([chunk({ content: text.slice(i, i + 4) })]);
  out.push([chunk({}, finish), usage]);
  return out;
}

async function* source(items: StreamItem[]): AsyncGenerator<StreamItem> {
  yield* items;
}

async function run(items: StreamItem[], o: Partial<CheckedOptions> & { request?: ChatRequest } = {}) {
  const seen: Checked[] = [];
  const out: StreamItem[] = [];
  const opts: CheckedOptions = { contract: contractOf(o.request ?? req({ tools: [weather] })), mode: o.mode ?? "escalate", onChecked: (c) => void seen.push(c) };
  let error: unknown;
  try {
    for await (const item of checkedSource(source(items), opts)) out.push(item);
  } catch (err) {
    error = err;
  }
  const answer = new CompletionBuilder();
  for (const item of out) if (item !== ALIVE) for (const c of item) answer.add(c);
  return { out, answer: answer.build(), seen, error, alive: out.filter((i) => i === ALIVE).length };
}

describe("checkedSource", () => {
  it("passes a plain answer through chunk by chunk, as it came", async () => {
    const items = home("It is sunny in Oslo.");
    const r = await run(items, { request: req() });
    expect(r.out.slice(0, -1)).toEqual(items.slice(0, -1));
    expect(r.answer.choices[0]?.message.content).toBe("It is sunny in Oslo.");
    expect(r.seen).toEqual([{ model: "qwen2.5:7b", family: "plain", ok: true }]);
  });

  it("holds a tool call written as text (ALIVE meanwhile) and sends it repaired, finish_reason tool_calls", async () => {
    const r = await run(home('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>'));
    expect(r.alive).toBeGreaterThan(10);
    const message = r.answer.choices[0]?.message;
    expect(message?.content).toBeNull();
    expect(message?.tool_calls).toEqual([{ id: expect.stringMatching(/^call_/), type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }]);
    expect(r.answer.choices[0]?.finish_reason).toBe("tool_calls");
    expect(r.answer.usage).toMatchObject({ completion_tokens: 5 });
    expect(r.seen).toEqual([{ model: "qwen2.5:7b", family: "tools", ok: true, repair: "tool_call_from_text" }]);
  });

  it("escalate: a call with bad arguments fails the attempt before anything of it was sent", async () => {
    const items: StreamItem[] = [
      [chunk({ role: "assistant", content: "" })],
      [chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } }] })],
      [chunk({}, "tool_calls"), usage],
    ];
    const r = await run(items);
    expect(r.error).toBeInstanceOf(InvalidAnswer);
    expect((r.error as InvalidAnswer).failure).toEqual({ ok: false, check: "tool_args_schema", detail: 'get_weather: /: required "city"' });
    expect(r.out.flat().filter((c) => c !== ALIVE).every((c) => !(c as Chunk).choices[0]?.delta.tool_calls)).toBe(true);
    expect(r.seen).toEqual([{ model: "qwen2.5:7b", family: "tools", ok: false, check: "tool_args_schema" }]);
  });

  it("repair_only: a failed answer goes on as it came; pass: nothing is held, the verdict still counts", async () => {
    const json = req({ response_format: { type: "json_schema", json_schema: { name: "w", schema: { type: "object", required: ["temp"] } } } });
    const broken = await run(home('{"city": "Oslo"}'), { request: json, mode: "repair_only" });
    expect(broken.error).toBeUndefined();
    expect(broken.answer.choices[0]?.message.content).toBe('{"city": "Oslo"}');
    expect(broken.seen[0]).toMatchObject({ ok: false, check: "json_schema" });
    const passed = await run(home('{"city": "Oslo"}'), { request: json, mode: "pass" });
    expect(passed.alive).toBe(0);
    expect(passed.seen[0]).toMatchObject({ ok: false, check: "json_schema" });
  });

  it("escalate: a loop mid-stream ends the attempt", async () => {
    const r = await run(home(`Well. ${"the kettle sings again. ".repeat(120)}`), { request: req() });
    expect(r.error).toMatchObject({ failure: { check: "repetition" } });
  });
});

describe("checkedOpener in a plan run", () => {
  it("home's broken answer is replaced by the next target's, and the trace names the check", async () => {
    const toolCall = (args: string): Script => ({ steps: [{ wait: 1 }, { text: `{"name": "get_weather", "arguments": ${args}}` }, { finish: "stop" }, { usage: [3, 2] }] });
    const home = fakeOpener(target("local/qwen", 1_000), [toolCall('{"town": 1}')]);
    const cloud = fakeOpener(target("openai/gpt"), [ok("from the cloud")]);
    const checked: Checked[] = [];
    const wrap = checkedOpener(home, { contract: contractOf(req({ tools: [weather] })), mode: "escalate", onChecked: (c) => void checked.push(c) });
    const run = new PlanRun(planOf([home.target, cloud.target]), (t) => (t.id === "openai/gpt" ? cloud : wrap), { retry: RETRY, signal: new AbortController().signal, idleMs: 1_000 });
    const commit = await run.next();
    expect(commit?.target.id).toBe("openai/gpt");
    expect(run.trace[0]).toMatchObject({ target: "local/qwen", outcome: "failed", reason: "invalid_answer", check: "tool_call_as_text" });
    expect(home.opened).toHaveLength(1);
    expect(checked).toEqual([{ model: "qwen", family: "tools", ok: false, check: "tool_call_as_text" }]);
  });
});

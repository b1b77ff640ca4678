/**
 * The fake Ollama's broken answers, through the official `ollama` client: each one arrives as a real
 * Ollama would pass it on, streamed and not, paced, and fails (or is repaired by) exactly the check it
 * stands for in @hearth/shared's answer checks.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Ollama, type ChatRequest as OllamaChat, type ChatResponse } from "ollama";
import { checkAnswer, contractOf, parseChatRequest, type Answer, type CheckResult } from "@hearth/shared";
import { BROKEN_ANSWERS, startFakeOllama, type BrokenAnswer, type FakeOllama } from "../fakes/ollama.js";

let fake: FakeOllama;
let client: Ollama;

beforeAll(async () => {
  fake = await startFakeOllama({
    models: [
      { name: "qwen2.5:7b", tools: true, contextLength: 32768 },
      { name: "paced", tools: true, firstTokenMs: 150, tokensPerSecond: 400 },
      { name: "always-text", tools: true, broken: "text-call-tagged" },
    ],
  });
  client = new Ollama({ host: fake.url });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const weather = {
  type: "function",
  function: { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
};
const clock = { type: "function", function: { name: "get_time", parameters: { type: "object", properties: { zone: { type: "string", enum: ["UTC", "CET"] } }, required: ["zone"] } } };
const schema = { type: "object", properties: { city: { type: "string" }, temp: { type: "number" } }, required: ["city", "temp"], additionalProperties: false };

/** The same request as Hearth's common chat request (what the checks read) and as Ollama's body. */
function pair(kind: "tools" | "json", prompt: string) {
  const chat = parseChatRequest({
    model: "qwen2.5:7b",
    messages: [{ role: "user", content: prompt }],
    ...(kind === "tools" ? { tools: [weather, clock] } : { response_format: { type: "json_schema", json_schema: { name: "w", schema, strict: true } } }),
  });
  const body = { messages: [{ role: "user", content: prompt }], ...(kind === "tools" ? { tools: [weather, clock] } : { format: schema }) };
  return { contract: contractOf(chat), body };
}

/** An Ollama answer in the common shape, as the sidecar and Worker turn it into one. */
function answerOf(message: ChatResponse["message"], doneReason: string): Answer {
  const toolCalls = (message.tool_calls ?? []).map((c, i) => ({
    id: `call_${i}`,
    type: "function" as const,
    function: { name: c.function.name, arguments: typeof c.function.arguments === "string" ? c.function.arguments : JSON.stringify(c.function.arguments) },
  }));
  return { text: message.content, toolCalls, finishReason: toolCalls.length > 0 ? "tool_calls" : doneReason === "length" ? "length" : "stop" };
}

async function streamed(req: OllamaChat & { model: string }): Promise<{ message: ChatResponse["message"]; doneReason: string; lines: number }> {
  let content = "";
  const calls: NonNullable<ChatResponse["message"]["tool_calls"]> = [];
  let doneReason = "";
  let lines = 0;
  for await (const c of await client.chat({ ...req, stream: true })) {
    lines++;
    content += c.message.content;
    calls.push(...(c.message.tool_calls ?? []));
    if (c.done) doneReason = c.done_reason;
  }
  return { message: { role: "assistant", content, ...(calls.length ? { tool_calls: calls } : {}) }, doneReason, lines };
}

/** What each broken answer must come to under the checks: a failed check, or a repair. */
const EXPECTED: Record<BrokenAnswer, { kind: "tools" | "json"; result: Partial<CheckResult> & { ok: boolean } }> = {
  "text-call": { kind: "tools", result: { ok: true, repair: "tool_call_from_text" } },
  "text-call-parameters": { kind: "tools", result: { ok: true, repair: "tool_call_from_text" } },
  "text-call-tagged": { kind: "tools", result: { ok: true, repair: "tool_call_from_text" } },
  "text-call-function": { kind: "tools", result: { ok: true, repair: "tool_call_from_text" } },
  "text-call-list": { kind: "tools", result: { ok: true, repair: "tool_call_from_text" } },
  "text-call-fenced": { kind: "tools", result: { ok: true, repair: "tool_call_from_text" } },
  "text-call-after-prose": { kind: "tools", result: { ok: true, repair: "tool_call_from_text" } },
  "args-unparseable": { kind: "tools", result: { ok: false, check: "tool_call_as_text" } },
  "args-string-unparseable": { kind: "tools", result: { ok: false, check: "tool_args_json" } },
  "args-missing-required": { kind: "tools", result: { ok: false, check: "tool_args_schema" } },
  "tool-unknown": { kind: "tools", result: { ok: false, check: "tool_unknown" } },
  "json-prose": { kind: "json", result: { ok: true, repair: "json_preamble" } },
  "json-fenced": { kind: "json", result: { ok: true, repair: "json_unfenced" } },
  "json-against-schema": { kind: "json", result: { ok: false, check: "json_schema" } },
  "json-not-json": { kind: "json", result: { ok: false, check: "json_parse" } },
  empty: { kind: "tools", result: { ok: false, check: "empty" } },
  loop: { kind: "tools", result: { ok: false, check: "repetition" } },
  "context-cut": { kind: "tools", result: { ok: false, check: "context_cut" } },
};

describe("fake Ollama: broken answers on demand, through the official client", () => {
  it("knows every kind the checks are tested with", () => expect(Object.keys(EXPECTED).sort()).toEqual([...BROKEN_ANSWERS].sort()));

  it.each(BROKEN_ANSWERS)("%s, picked by a [[fake:…]] marker: streamed and whole agree, and the check says what it is", async (kind) => {
    const { contract, body } = pair(EXPECTED[kind].kind, `Oslo [[fake:${kind}]]`);
    const whole = await client.chat({ model: "qwen2.5:7b", ...body, stream: false });
    const s = await streamed({ model: "qwen2.5:7b", ...body });
    expect(s.message.content).toBe(whole.message.content);
    expect(s.doneReason).toBe(whole.done_reason);
    const result = checkAnswer(answerOf(whole.message, whole.done_reason), contract);
    expect(result).toMatchObject(EXPECTED[kind].result);
    expect(checkAnswer(answerOf(s.message, s.doneReason), contract)).toMatchObject(EXPECTED[kind].result);
  });

  it("a loop runs to num_predict and says done_reason length, in one line per token", async () => {
    const { body } = pair("tools", "Oslo");
    const s = await streamed({ model: "qwen2.5:7b", ...body, options: { num_predict: 300 } });
    fake.enqueueChat({ type: "answer", broken: "loop" });
    const again = await streamed({ model: "qwen2.5:7b", ...body, options: { num_predict: 300 } });
    expect(s.message.tool_calls).toHaveLength(1); // no marker, nothing scripted: the usual good call
    expect(again.doneReason).toBe("length");
    expect(again.lines).toBe(301);
    expect(again.message.content).toMatch(/^Let me think about this\. (I will check the kettle again\. )+/);
  });

  it("a scripted broken answer is paced as the model is", async () => {
    const { body } = pair("tools", "Oslo");
    fake.enqueueChat({ type: "answer", broken: "text-call-tagged" });
    const t0 = Date.now();
    const s = await streamed({ model: "paced", ...body });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(s.message.content).toContain("<tool_call>");
    expect(s.lines).toBeGreaterThan(10);
  });

  it("a model set to be broken answers so every time, but not a tool's result", async () => {
    const { contract, body } = pair("tools", "Oslo");
    for (let i = 0; i < 2; i++) {
      const r = await client.chat({ model: "always-text", ...body });
      expect(checkAnswer(answerOf(r.message, r.done_reason), contract)).toMatchObject({ ok: true, repair: "tool_call_from_text" });
    }
    const after = await client.chat({
      model: "always-text",
      ...body,
      messages: [...body.messages, { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Oslo" } } }] }, { role: "tool", content: "sunny" }],
    });
    expect(after.message.content).toBe("Tool said: sunny");
  });

  it("with `format` and nothing broken, answers JSON that validates (Ollama's structured outputs)", async () => {
    const { contract, body } = pair("json", "Oslo");
    const r = await client.chat({ model: "qwen2.5:7b", ...body });
    expect(JSON.parse(r.message.content)).toEqual({ city: "Oslo", temp: 1 });
    expect(checkAnswer(answerOf(r.message, r.done_reason), contract)).toEqual({ ok: true });
    const plain = await client.chat({ model: "qwen2.5:7b", messages: body.messages, format: "json" });
    expect(JSON.parse(plain.message.content)).toEqual({ answer: "Oslo" });
  });
});

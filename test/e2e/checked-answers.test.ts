/**
 * Checked answers (README "Checked answers"), end to end with the unchanged clients — `openai` (chat
 * and Responses), `@anthropic-ai/sdk`, the Vercel AI SDK — in both client modes: real `wrangler dev`,
 * the real sidecar before the fake Ollama paced like a home, which gives each broken answer on demand
 * (a `[[fake:<kind>]]` marker in the prompt), and the fake OpenAI as the cloud. The client gets a valid
 * tool call or valid JSON — repaired at home, or the cloud's — never the broken one, and the trace
 * says which; with local_only, a typed error naming the check.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import OpenAI from "openai";
import type { ChatCompletion } from "openai/resources/chat/completions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseTrace, type AttemptSummary } from "@hearth/shared";
import type { FakeServer } from "../fakes/harness.js";
import { startFakeOllama, type BrokenAnswer, type FakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { startSidecar, type SidecarProcess } from "../support/sidecar.js";
import { ROOT, cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

const HOME = "local/qwen2.5:7b";
const CLOUD = "openai/gpt-4o-mini";

let openai: FakeServer;
let ollama: FakeOllama;
let worker: RunningWorker;
let sidecar: SidecarProcess;
let user: Awaited<ReturnType<RunningWorker["createUser"]>>;
let client: OpenAI;
let anthropic: Anthropic;

async function setPolicy(policy: object): Promise<void> {
  const r = await worker.admin("PUT", `/users/${user.id}/policy`, policy);
  if (r.status !== 200) throw new Error(`set policy: ${r.status} ${await r.text()}`);
}

beforeAll(async () => {
  [openai, ollama] = await Promise.all([
    startFakeOpenAI(),
    // Paced like a home: a fraction of a second to the first token, then a steady stream.
    startFakeOllama({ models: [{ name: "qwen2.5:7b", tools: true, contextLength: 32768, firstTokenMs: [150, 300], tokensPerSecond: 200 }] }),
  ]);
  ollama.loaded.set("qwen2.5:7b", Date.now() + 3_600_000);
  worker = await startWorker({ vars: { ...cloudVars(openai), HEARTH_AUTO_TARGETS: CLOUD, HEARTH_BREAKER_FAILURES: "1000" } });
  user = await worker.createUser("checked");
  sidecar = await startSidecar({ workerUrl: worker.url, token: user.sidecarToken, apiKey: user.apiKey, ollama: ollama.url, args: ["--slots", "4", "--queue", "4"] });
  client = new OpenAI({ apiKey: user.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0, timeout: 30_000 });
  anthropic = new Anthropic({ apiKey: user.apiKey, baseURL: worker.url, maxRetries: 0 });
}, 90_000);

afterAll(async () => {
  await sidecar?.stop();
  await worker?.stop();
  await Promise.all([openai?.close(), ollama?.close()]);
});

// Learning is tested on its own below; elsewhere a model is never passed over for failing.
beforeEach(() => setPolicy({ unreliableToolsAt: 1 }));

const weather = { type: "function" as const, function: { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false } } };
const reportSchema = { type: "object", properties: { city: { type: "string" }, temp: { type: "number" } }, required: ["city", "temp"], additionalProperties: false };
const marked = (kind: BrokenAnswer, text = "Oslo") => `${text} [[fake:${kind}]]`;
const entry = (headers: Headers, target: string): AttemptSummary | undefined => parseTrace(headers.get("x-hearth-trace")).find((e) => e.target === target);

/** A chat completion, whole or streamed (its chunks folded into one), and its headers. */
async function chat(stream: boolean, body: Omit<OpenAI.ChatCompletionCreateParamsNonStreaming, "model">): Promise<{ completion: ChatCompletion; headers: Headers }> {
  if (!stream) {
    const { data, response } = await client.chat.completions.create({ model: "auto", ...body }).withResponse();
    return { completion: data, headers: response.headers };
  }
  const { data, response } = await client.chat.completions.create({ model: "auto", ...body, stream: true }).withResponse();
  let content = "";
  let finish: ChatCompletion.Choice["finish_reason"] = "stop";
  const calls: { id: string; type: "function"; function: { name: string; arguments: string } }[] = [];
  for await (const chunk of data) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    content += choice.delta.content ?? "";
    for (const t of choice.delta.tool_calls ?? []) {
      const call = (calls[t.index] ??= { id: "", type: "function", function: { name: "", arguments: "" } });
      if (t.id) call.id = t.id;
      if (t.function?.name) call.function.name = t.function.name;
      call.function.arguments += t.function?.arguments ?? "";
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  const message = { role: "assistant" as const, content, refusal: null, ...(calls.length ? { tool_calls: calls } : {}) };
  const completion = { id: "", object: "chat.completion" as const, created: 0, model: "", choices: [{ index: 0, message, finish_reason: finish, logprobs: null }] };
  return { completion, headers: response.headers };
}

const toolCallOf = (c: ChatCompletion) => c.choices[0]?.message.tool_calls?.[0];

describe.each([false, true])("Chat Completions (openai SDK), stream: %s", (stream) => {
  it.each<BrokenAnswer>(["text-call", "text-call-parameters", "text-call-tagged", "text-call-function", "text-call-list", "text-call-fenced", "text-call-after-prose"])(
    "a tool call written as text (%s) is repaired at home into a proper call",
    async (kind) => {
      const { completion, headers } = await chat(stream, { tools: [weather], messages: [{ role: "user", content: marked(kind) }] });
      expect(headers.get("x-hearth-target")).toBe(HOME);
      // Streamed, the prose before the tags went out first, with the headers: the repair is in the record, not the header.
      expect(entry(headers, HOME)).toMatchObject({ outcome: "served", ...(stream && kind === "text-call-after-prose" ? {} : { repair: "tool_call_from_text" }) });
      const call = toolCallOf(completion);
      expect(call?.type === "function" && call.function.name).toBe("get_weather");
      expect(JSON.parse(call?.type === "function" ? call.function.arguments : "{}")).toEqual({ city: marked(kind) });
      expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
      if (kind !== "text-call-after-prose") expect(completion.choices[0]?.message.content ?? "").toBe("");
    },
  );

  it.each<[BrokenAnswer, string]>([
    ["args-missing-required", "tool_args_schema"],
    ["args-string-unparseable", "tool_args_json"],
    ["args-unparseable", "tool_call_as_text"],
    ["tool-unknown", "tool_unknown"],
    ["empty", "empty"],
  ])("%s: the cloud answers instead, and the trace names the check (%s)", async (kind, check) => {
    const { completion, headers } = await chat(stream, { tools: [weather], messages: [{ role: "user", content: marked(kind) }] });
    expect(headers.get("x-hearth-target")).toBe(CLOUD);
    expect(entry(headers, HOME)).toMatchObject({ outcome: "failed", reason: "invalid_answer", check });
    const call = toolCallOf(completion);
    expect(call?.type === "function" && call.function.name).toBe("get_weather");
  });

  it("JSON in a fence is repaired at home; JSON against the schema is answered by the cloud, valid", async () => {
    const response_format = { type: "json_schema" as const, json_schema: { name: "report", schema: reportSchema, strict: true } };
    const fenced = await chat(stream, { response_format, messages: [{ role: "user", content: marked("json-fenced") }] });
    expect(fenced.headers.get("x-hearth-target")).toBe(HOME);
    expect(entry(fenced.headers, HOME)).toMatchObject({ repair: "json_unfenced" });
    expect(JSON.parse(fenced.completion.choices[0]?.message.content ?? "")).toEqual({ city: marked("json-fenced"), temp: 1 });
    const wrong = await chat(stream, { response_format, messages: [{ role: "user", content: marked("json-against-schema") }] });
    expect(wrong.headers.get("x-hearth-target")).toBe(CLOUD);
    expect(entry(wrong.headers, HOME)).toMatchObject({ reason: "invalid_answer", check: "json_schema" });
    expect(Object.keys(JSON.parse(wrong.completion.choices[0]?.message.content ?? "{}") as object).sort()).toEqual(["city", "temp"]);
  });
});

describe("a loop and a context cut", () => {
  const loop = { messages: [{ role: "user" as const, content: marked("loop") }], max_tokens: 400 };

  it("non-streaming: a loop at home is never passed on; the cloud answers from scratch", async () => {
    const { completion, headers } = await chat(false, loop);
    expect(headers.get("x-hearth-target")).toBe(CLOUD);
    expect(entry(headers, HOME)).toMatchObject({ outcome: "broken", reason: "invalid_answer", check: "repetition" });
    expect(completion.choices[0]?.message.content).toBe(`Echo: ${marked("loop")}`);
  });

  it("streaming: a loop caught mid-stream ends the stream with a typed error event, not a truncated answer", async () => {
    const err = await chat(true, loop).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/repetition/);
  });

  it("streaming with continueOnBreak: the cloud continues the answer in the same stream", async () => {
    await setPolicy({ unreliableToolsAt: 1, continueOnBreak: true });
    const { completion, headers } = await chat(true, loop);
    expect(headers.get("x-hearth-target")).toBe(HOME);
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.choices[0]?.message.content).toMatch(/^Let me think about this\. (I will check the kettle again\. )+/);
  });

  it("an answer cut by home's own context (no max_tokens set) goes to the cloud", async () => {
    const { completion, headers } = await chat(false, { messages: [{ role: "user", content: marked("context-cut") }] });
    expect(headers.get("x-hearth-target")).toBe(CLOUD);
    expect(entry(headers, HOME)).toMatchObject({ check: "context_cut" });
    expect(completion.choices[0]?.finish_reason).toBe("stop");
  });
});

describe.each([false, true])("OpenAI's Responses API, stream: %s", (stream) => {
  const lookup = { type: "function" as const, name: "get_weather", parameters: weather.function.parameters, strict: true };
  const create = async (input: string, extra: object = {}) => {
    if (!stream) {
      const { data, response } = await client.responses.create({ model: "auto", input, ...extra }).withResponse();
      return { out: data, headers: response.headers };
    }
    const s = client.responses.stream({ model: "auto", input, ...extra });
    const out = await s.finalResponse();
    return { out, headers: new Headers() };
  };

  it("a tool call written in tags becomes a function_call item", async () => {
    const { out, headers } = await create(marked("text-call-tagged"), { tools: [lookup] });
    const call = out.output.find((o) => o.type === "function_call");
    expect(call).toMatchObject({ type: "function_call", name: "get_weather" });
    expect(JSON.parse(call?.type === "function_call" ? call.arguments : "{}")).toEqual({ city: marked("text-call-tagged") });
    if (!stream) expect(entry(headers, HOME)).toMatchObject({ repair: "tool_call_from_text" });
  });

  it("JSON against text.format's schema: the cloud's valid JSON instead", async () => {
    const text = { format: { type: "json_schema" as const, name: "report", schema: reportSchema, strict: true } };
    const { out, headers } = await create(marked("json-against-schema"), { text });
    const message = out.output.find((o) => o.type === "message");
    const said = message?.type === "message" ? message.content.map((c) => (c.type === "output_text" ? c.text : "")).join("") : "";
    expect(Object.keys(JSON.parse(said) as object).sort()).toEqual(["city", "temp"]);
    if (!stream) expect(headers.get("x-hearth-target")).toBe(CLOUD);
  });
});

describe.each([false, true])("Anthropic's Messages API (@anthropic-ai/sdk), stream: %s", (stream) => {
  const tools = [{ name: "get_weather", description: "Weather for a city", input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] } }];
  const send = (content: string, extra: object = {}) => {
    const body = { model: "claude-haiku-4-5", max_tokens: 512, tools, messages: [{ role: "user" as const, content }], ...extra };
    return stream ? anthropic.messages.stream(body).finalMessage() : anthropic.messages.create(body);
  };

  it("a tool call written as text reaches the SDK as a tool_use block", async () => {
    const m = await send(marked("text-call-parameters"));
    expect(m.stop_reason).toBe("tool_use");
    expect(m.content.find((b) => b.type === "tool_use")).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: marked("text-call-parameters") } });
  });

  it("tool_choice any (required) that home ignores — an unknown tool — is answered by the cloud", async () => {
    const m = await send(marked("tool-unknown"), { tool_choice: { type: "any" } });
    expect(m.content.find((b) => b.type === "tool_use")).toMatchObject({ name: "get_weather" });
  });
});

describe("the Vercel AI SDK, a tool over two steps", () => {
  const weatherTool = tool({
    description: "Weather for a city",
    inputSchema: jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }),
    execute: ({ city }) => Promise.resolve(`sunny in ${city.split(" ")[0] ?? city}`),
  });
  const provider = () => createOpenAI({ baseURL: `${worker.url}/v1`, apiKey: user.apiKey });

  it("generateText: step 1's call written as text is repaired, step 2 answers the tool's result", async () => {
    const r = await generateText({ model: provider()("auto"), prompt: marked("text-call-tagged"), tools: { weather: weatherTool }, stopWhen: stepCountIs(2) });
    expect(r.steps).toHaveLength(2);
    expect(r.steps[0]?.toolCalls[0]).toMatchObject({ toolName: "weather", input: { city: marked("text-call-tagged") } });
    expect(r.text).toBe("Tool said: sunny in Oslo");
  });

  it("streamText: the same, streamed", async () => {
    const result = streamText({ model: provider().chat("auto"), prompt: marked("text-call"), tools: { weather: weatherTool }, stopWhen: stepCountIs(2) });
    let text = "";
    for await (const t of result.textStream) text += t;
    const steps = await result.steps;
    expect(steps[0]?.toolCalls[0]).toMatchObject({ toolName: "weather", input: { city: marked("text-call") } });
    expect(text).toBe("Tool said: sunny in Oslo");
  });
});

describe("a recorded Claude Code conversation, home writing its tool call as text", () => {
  type Json = Record<string, unknown>;
  const recorded = JSON.parse(readFileSync(join(ROOT, "test/data/claude-code-request.json"), "utf8")) as Json & { messages: { role: string; content: Json[] | string }[] };

  it.each([false, true])("stream: %s — the SDK sees a proper tool_use block", async (streamed) => {
    await setPolicy({ unreliableToolsAt: 1, modelMap: [{ match: "claude-*", to: HOME }] });
    const messages = structuredClone(recorded.messages);
    const last = messages.at(-1);
    if (last && Array.isArray(last.content)) {
      const text = last.content.findLast((b) => b.type === "text");
      if (text) text.text = `${String(text.text)} [[fake:text-call-tagged]]`;
    }
    // The SDK refuses a non-streamed request for 32,000 tokens (it could outlast its timeout).
    const body = { ...recorded, messages, stream: undefined, max_tokens: 4096 } as unknown as Anthropic.MessageCreateParamsNonStreaming;
    const m = streamed ? await anthropic.messages.stream(body).finalMessage() : await anthropic.messages.create(body);
    expect(m.stop_reason).toBe("tool_use");
    const use = m.content.find((b) => b.type === "tool_use");
    expect(use).toMatchObject({ type: "tool_use", name: "Task", id: expect.stringMatching(/^toolu_|^call_/) });
    expect(Object.keys(use?.type === "tool_use" ? (use.input as object) : {}).sort()).toEqual(["description", "prompt", "subagent_type"]);
    expect(m.content.some((b) => b.type === "text" && b.text.includes("<tool_call>"))).toBe(false);
  });
});

describe("local_only: nowhere to escalate", () => {
  beforeEach(() => setPolicy({ mode: "local_only", unreliableToolsAt: 1 }));

  it.each([false, true])("stream: %s — a broken call is a typed invalid_answer error naming the check", async (stream) => {
    const err = await chat(stream, { tools: [weather], messages: [{ role: "user", content: marked("args-missing-required") }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(502);
    expect(e.code).toBe("invalid_answer");
    expect(e.message).toContain("tool_args_schema");
    expect(e.message).not.toContain("Oslo");
  });

  it("a repairable one is still repaired", async () => {
    const { completion, headers } = await chat(false, { tools: [weather], messages: [{ role: "user", content: marked("text-call-function") }] });
    expect(headers.get("x-hearth-target")).toBe(HOME);
    expect(toolCallOf(completion)).toMatchObject({ function: { name: "get_weather" } });
  });
});

describe("the policy switch", () => {
  it("repair_only passes an unrepairable answer on as it came; pass passes even a repairable one as it came", async () => {
    await setPolicy({ answerChecks: "repair_only", unreliableToolsAt: 1 });
    const broken = await chat(false, { tools: [weather], messages: [{ role: "user", content: marked("args-missing-required") }] });
    expect(broken.headers.get("x-hearth-target")).toBe(HOME);
    expect(toolCallOf(broken.completion)).toMatchObject({ function: { name: "get_weather", arguments: "{}" } });
    await setPolicy({ answerChecks: "pass", unreliableToolsAt: 1 });
    const asText = await chat(false, { tools: [weather], messages: [{ role: "user", content: marked("text-call") }] });
    expect(asText.completion.choices[0]?.message.tool_calls).toBeUndefined();
    expect(asText.completion.choices[0]?.message.content).toContain('"name":"get_weather"');
  });
});

describe("home learns what each model can do", () => {
  it("after failed tool answers the model is passed over for tools (unreliable_tools in the trace and explain), and its pass rates show in the stats", async () => {
    await setPolicy({ unreliableToolsAt: 0.5 });
    expect((await fetch(`${worker.url}/v1/stats`, { method: "DELETE", headers: { authorization: `Bearer ${user.apiKey}` } })).status).toBeLessThan(300);
    const ask = (kind: BrokenAnswer) => chat(false, { tools: [weather], messages: [{ role: "user", content: marked(kind) }] });
    await ask("text-call-tagged");
    for (let i = 0; i < 4; i++) expect((await ask("args-missing-required")).headers.get("x-hearth-target")).toBe(CLOUD);
    // Records reach the user's Durable Object a moment after each answer.
    await new Promise((r) => setTimeout(r, 600));
    const next = await ask("text-call-tagged");
    expect(next.headers.get("x-hearth-target")).toBe(CLOUD);
    // Home left out up front: the plan names no model of it.
    expect(entry(next.headers, "local")).toMatchObject({ outcome: "skipped", reason: "unreliable_tools" });
    const plain = await chat(false, { messages: [{ role: "user", content: "no tools here" }] });
    expect(plain.headers.get("x-hearth-target")).toBe(HOME);

    const explain = await fetch(`${worker.url}/v1/route/explain`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "auto", tools: [weather], messages: [{ role: "user", content: "Oslo" }] }),
    });
    expect(((await explain.json()) as { skipped: { target: string; reason: string }[] }).skipped).toContainEqual({ target: "local", reason: "unreliable_tools" });

    const stats = (await (await fetch(`${worker.url}/v1/stats`, { headers: { authorization: `Bearer ${user.apiKey}` } })).json()) as { home_checks: Record<string, { tools: { checked: number; passed: number; repaired: number; failed: Record<string, number> }; unreliable_tools: boolean }>; fallbacks: Record<string, number> };
    expect(stats.home_checks["qwen2.5:7b"]).toMatchObject({ tools: { checked: 5, passed: 1, repaired: 1, failed: { tool_args_schema: 4 } }, unreliable_tools: true });
    expect(stats.fallbacks["invalid_answer:tool_args_schema"]).toBe(4);
  });
});

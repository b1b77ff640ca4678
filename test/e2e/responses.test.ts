/**
 * POST /v1/responses — OpenAI's Responses API — end to end with the unchanged `openai` SDK and the
 * Vercel AI SDK's default provider: real `wrangler dev`, the real sidecar before the fake Ollama
 * (home), the fake OpenAI and the fake Anthropic. Served by OpenAI the client's body goes up as sent
 * (the conversation expanded, `store: false`) and OpenAI's events come back; served by home or
 * Anthropic it is translated both ways. Responses are stored in the user's Durable Object, so a
 * conversation continues on whichever target serves the next turn.
 */
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import OpenAI, { APIError, NotFoundError } from "openai";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic } from "../fakes/anthropic.js";
import type { FakeServer } from "../fakes/harness.js";
import { chatRequests, startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { startSidecar, type SidecarProcess } from "../support/sidecar.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

let openai: FakeServer;
let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let worker: RunningWorker;
let sidecar: SidecarProcess;
type User = Awaited<ReturnType<RunningWorker["createUser"]>>;
let user: User;
let client: OpenAI;

const HOME = "local/llama3.2:latest";
const OPENAI = "gpt-4o-mini";
const ANTHROPIC = "anthropic/claude-sonnet-4-5";
const KINDS = [
  { kind: "home", model: HOME, target: HOME },
  { kind: "OpenAI (native)", model: OPENAI, target: `openai/${OPENAI}` },
  { kind: "Anthropic (translated)", model: ANTHROPIC, target: ANTHROPIC },
] as const;

const lookup = { type: "function" as const, name: "lookup", description: "Look something up", parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"] }, strict: false };

beforeAll(async () => {
  [openai, anthropic, ollama] = await Promise.all([startFakeOpenAI(), startFakeAnthropic(), startFakeOllama()]);
  ollama.loaded.set("llama3.2:latest", Date.now() + 600_000);
  worker = await startWorker({ vars: cloudVars(openai, anthropic) });
  user = await worker.createUser("responses");
  client = new OpenAI({ apiKey: user.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
  sidecar = await startSidecar({ workerUrl: worker.url, token: user.sidecarToken, apiKey: user.apiKey, ollama: ollama.url, expectModels: 2 });
}, 90_000);

afterAll(async () => {
  await sidecar?.stop();
  await worker?.stop();
  await Promise.all([openai?.close(), anthropic?.close(), ollama?.close()]);
});

async function collect(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const out: ResponseStreamEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

/** The Response's `store`, which the API returns and the SDK's type leaves out. */
const storeOf = (r: object) => (r as { store?: boolean }).store;

const messageText = (r: { output: { type: string; content?: { type: string; text?: string }[] }[] }) =>
  r.output.flatMap((o) => (o.type === "message" ? (o.content ?? []) : [])).map((p) => p.text ?? "").join("");

describe.each(KINDS)("served by $kind", ({ model, target }) => {
  it("responses.create answers a Response with Hearth's headers, and stores it", async () => {
    const { data, response } = await client.responses.create({ model, input: "hello there", instructions: "Be brief." }).withResponse();
    expect(response.headers.get("x-hearth-target")).toBe(target);
    expect(response.headers.get("x-hearth-attempts")).toBe("1");
    expect(response.headers.get("x-hearth-trace")).toContain(`${target};outcome=served`);
    expect(data).toMatchObject({ object: "response", status: "completed", instructions: "Be brief.", store: true, previous_response_id: null });
    expect(data.id).toMatch(/^resp_/);
    expect(data.output_text).toBe("Echo: hello there");
    expect(data.usage?.output_tokens).toBeGreaterThan(0);
    const again = await client.responses.retrieve(data.id);
    expect(again.id).toBe(data.id);
    expect(messageText(again)).toBe("Echo: hello there");
  });

  it("a stream: the event sequence in order, and responses.stream()'s finalResponse()", async () => {
    const events = await collect(await client.responses.create({ model, input: "stream to me", stream: true }));
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]);
    expect(types.slice(-4)).toEqual(["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.filter((e) => e.type === "response.output_text.delta").map((e) => (e.type === "response.output_text.delta" ? e.delta : "")).join("")).toBe("Echo: stream to me");

    const stream = client.responses.stream({ model, input: "stream helper" });
    const deltas: string[] = [];
    stream.on("response.output_text.delta", (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(deltas.join("")).toBe("Echo: stream helper");
    expect(messageText(final)).toBe("Echo: stream helper");
    expect((await client.responses.retrieve(final.id)).status).toBe("completed");
  });

  it("a function call, streamed as argument deltas, and its output answered in the next turn via previous_response_id", async () => {
    const events = await collect(await client.responses.create({ model, input: "find the weather", tools: [lookup], stream: true }));
    expect(events.some((e) => e.type === "response.function_call_arguments.delta")).toBe(true);
    const done = events.at(-1);
    if (done?.type !== "response.completed") throw new Error(`no response.completed: ${String(done?.type)}`);
    const call = done.response.output.find((o) => o.type === "function_call");
    expect(call).toMatchObject({ type: "function_call", name: "lookup", arguments: '{"query":"find the weather"}', status: "completed" });
    if (call?.type !== "function_call") throw new Error("no call");
    const second = await client.responses.create({ model, tools: [lookup], previous_response_id: done.response.id, input: [{ type: "function_call_output", call_id: call.call_id, output: "sunny" }] });
    expect(second.output_text).toBe("Tool said: sunny");
    expect(second.previous_response_id).toBe(done.response.id);
  });
});

describe("a conversation across targets", () => {
  it("the first turn at OpenAI calls a function; the second, at home, answers its output", async () => {
    ollama.reset();
    ollama.loaded.set("llama3.2:latest", Date.now() + 600_000);
    const first = await client.responses.create({ model: OPENAI, input: "weather in Paris", tools: [lookup] });
    const call = first.output.find((o) => o.type === "function_call");
    if (call?.type !== "function_call") throw new Error("no call");
    const { data: second, response } = await client.responses
      .create({ model: HOME, tools: [lookup], previous_response_id: first.id, input: [{ type: "function_call_output", call_id: call.call_id, output: "sunny" }] })
      .withResponse();
    expect(response.headers.get("x-hearth-target")).toBe(HOME);
    expect(second.output_text).toBe("Tool said: sunny");
    const sent = chatRequests(ollama)[0]?.body as { messages: { role: string; tool_calls?: { function: { name: string } }[]; content?: string }[] };
    expect(sent.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
    expect(sent.messages[1]?.tool_calls?.[0]?.function.name).toBe("lookup");
    expect(sent.messages[2]?.content).toBe("sunny");
  });

  it("the first turn at home; the second at OpenAI gets the whole conversation, store: false and no previous_response_id", async () => {
    openai.reset();
    const first = await client.responses.create({ model: HOME, input: "remember the word kettle" });
    const second = await client.responses.create({ model: OPENAI, previous_response_id: first.id, input: "what was the word?", instructions: "Answer." });
    expect(second.previous_response_id).toBe(first.id);
    expect(storeOf(second)).toBe(true);
    const sent = openai.requests[0]?.body as Record<string, unknown>;
    expect(sent).not.toHaveProperty("previous_response_id");
    expect(sent).toMatchObject({ model: OPENAI, store: false, stream: false, instructions: "Answer." });
    expect(sent.input).toEqual([
      { type: "message", role: "user", content: "remember the word kettle" },
      first.output[0],
      { type: "message", role: "user", content: "what was the word?" },
    ]);
  });

  it("then a third turn at Anthropic", async () => {
    const first = await client.responses.create({ model: OPENAI, input: "one" });
    const second = await client.responses.create({ model: HOME, previous_response_id: first.id, input: "two" });
    anthropic.reset();
    const third = await client.responses.create({ model: ANTHROPIC, previous_response_id: second.id, input: "three" });
    expect(third.output_text).toBe("Echo: three");
    const sent = anthropic.requests[0]?.body as { messages: { role: string; content: unknown }[] };
    expect(sent.messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user"]);
  });
});

describe("served by OpenAI, passed through", () => {
  it("the client's body reaches OpenAI as sent (model set, stream as the client asked, store off): tools, text, reasoning, metadata, include", async () => {
    openai.reset();
    const body = {
      model: OPENAI,
      input: [{ role: "user" as const, content: [{ type: "input_text" as const, text: "pass me through" }] }],
      instructions: "Be brief.",
      tools: [lookup],
      tool_choice: "none" as const,
      text: { format: { type: "text" as const }, verbosity: "low" as const },
      reasoning: { effort: "low" as const },
      metadata: { trace: "t-1" },
      include: ["message.output_text.logprobs" as const],
      max_output_tokens: 200,
      service_tier: "default" as const,
    };
    const r = await client.responses.create(body);
    expect(r.output_text).toBe("Echo: pass me through");
    expect(openai.requests[0]?.path).toBe("/v1/responses");
    expect(openai.requests[0]?.body).toEqual({ ...body, stream: false, store: false });
  });

  it("a built-in tool only OpenAI has keeps auto off home: home is passed over as unsupported", async () => {
    openai.reset();
    const { response } = await client.responses.create({ model: "auto", input: "search the web", tools: [{ type: "web_search" }], tool_choice: "none" }).withResponse();
    expect(response.headers.get("x-hearth-target")).toMatch(/^openai\//);
    expect(response.headers.get("x-hearth-trace")).toMatch(/local[^,]*outcome=skipped;reason=unsupported/);
  });

  it("a stream that breaks after it began ends with an error event the SDK raises", async () => {
    openai.enqueue({ type: "cut", afterEvents: 5 });
    const stream = client.responses.stream({ model: OPENAI, input: "break me please" });
    const err = await stream.finalResponse().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect(String((err as Error).message)).toContain("broke after it began");
  });
});

describe("text.format json_schema", () => {
  const format = { type: "json_schema" as const, name: "person", schema: { type: "object", properties: { name: { type: "string" } }, required: ["name"], additionalProperties: false }, strict: true };

  it("at OpenAI: the schema goes up as sent, the answer is JSON", async () => {
    openai.reset();
    const r = await client.responses.create({ model: OPENAI, input: "Ada", text: { format } });
    expect(JSON.parse(r.output_text)).toEqual({ name: "Ada" });
    expect((openai.requests[0]?.body as { text: unknown }).text).toEqual({ format });
  });

  it("at home: the schema becomes Ollama's format", async () => {
    ollama.reset();
    ollama.loaded.set("llama3.2:latest", Date.now() + 600_000);
    await client.responses.create({ model: HOME, input: "Ada", text: { format }, max_output_tokens: 64 });
    const sent = chatRequests(ollama)[0]?.body as { format: unknown; options?: { num_predict?: number } };
    expect(sent.format).toEqual(format.schema);
    expect(sent.options?.num_predict).toBe(64);
  });
});

describe("the store", () => {
  it("DELETE removes a response: GET and previous_response_id then answer 404 naming it", async () => {
    const r = await client.responses.create({ model: HOME, input: "forget me" });
    // The SDK types the answer as void; the API answers with what OpenAI documents.
    expect(await client.responses.delete(r.id)).toEqual({ id: r.id, object: "response", deleted: true });
    await expect(client.responses.retrieve(r.id)).rejects.toBeInstanceOf(NotFoundError);
    const err = await client.responses.create({ model: HOME, previous_response_id: r.id, input: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).param).toBe("previous_response_id");
    await expect(client.responses.delete(r.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("store: false keeps nothing; a private request stores nothing unless asked", async () => {
    const r = await client.responses.create({ model: HOME, input: "do not keep", store: false });
    expect(storeOf(r)).toBe(false);
    await expect(client.responses.retrieve(r.id)).rejects.toBeInstanceOf(NotFoundError);
    const priv = await client.responses.create({ model: HOME, input: "private" }, { headers: { "x-hearth-privacy": "local-only" } });
    expect(storeOf(priv)).toBe(false);
    await expect(client.responses.retrieve(priv.id)).rejects.toBeInstanceOf(NotFoundError);
    const kept = await client.responses.create({ model: HOME, input: "private but kept", store: true }, { headers: { "x-hearth-privacy": "local-only" } });
    expect((await client.responses.retrieve(kept.id)).id).toBe(kept.id);
  });

  it("another user's response is not found", async () => {
    const r = await client.responses.create({ model: HOME, input: "mine" });
    const other = await worker.createUser("someone-else");
    const theirs = new OpenAI({ apiKey: other.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
    await expect(theirs.responses.retrieve(r.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("background and conversation are refused, naming the field", async () => {
    const bg = await client.responses.create({ model: HOME, input: "x", background: true }).catch((e: unknown) => e);
    expect((bg as APIError).status).toBe(400);
    expect((bg as APIError).param).toBe("background");
  });
});

describe("the Vercel AI SDK's default provider (openai(model) → /v1/responses)", () => {
  const weather = tool({
    description: "Weather for a city",
    inputSchema: jsonSchema<{ query: string }>({ type: "object", properties: { query: { type: "string" } }, required: ["query"] }),
    execute: ({ query }) => Promise.resolve(`sunny in ${query}`),
  });
  const provider = () => createOpenAI({ baseURL: `${worker.url}/v1`, apiKey: user.apiKey });

  it.each([HOME, OPENAI, ANTHROPIC])("generateText at %s", async (model) => {
    const r = await generateText({ model: provider()(model), prompt: "hello ai sdk" });
    expect(r.text).toBe("Echo: hello ai sdk");
    expect(r.response.headers?.["x-hearth-target"]).toBe(model.includes("/") ? model : `openai/${model}`);
  });

  it.each([HOME, OPENAI, ANTHROPIC])("streamText with a tool over two steps at %s", async (model) => {
    const result = streamText({ model: provider()(model), prompt: "Paris", tools: { weather }, stopWhen: stepCountIs(2) });
    let text = "";
    for await (const t of result.textStream) text += t;
    const steps = await result.steps;
    expect(steps).toHaveLength(2);
    expect(steps[0]?.toolCalls[0]).toMatchObject({ toolName: "weather", input: { query: "Paris" } });
    expect(text).toBe("Tool said: sunny in Paris");
  });

  it("a second turn from the first's messages: its item_reference resolved from Hearth's store, across targets", async () => {
    const ai = provider();
    const first = await generateText({ model: ai(OPENAI), prompt: "first turn" });
    ollama.reset();
    ollama.loaded.set("llama3.2:latest", Date.now() + 600_000);
    const second = await generateText({ model: ai(HOME), messages: [{ role: "user", content: "first turn" }, ...first.response.messages, { role: "user", content: "second turn" }] });
    expect(second.text).toBe("Echo: second turn");
    const sent = chatRequests(ollama)[0]?.body as { messages: { role: string; content: string }[] };
    expect(sent.messages).toEqual([
      { role: "user", content: "first turn" },
      { role: "assistant", content: "Echo: first turn" },
      { role: "user", content: "second turn" },
    ]);
  });
});

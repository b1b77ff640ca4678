/**
 * Drives the fake OpenAI's POST /v1/responses with the official openai SDK (6.30.1): if the SDK's
 * `responses.create`, its raw event stream and its `responses.stream` helper (which checks every
 * event against the snapshot it builds: output_index, content_index, item types) accept the fake's
 * answers, the fake speaks the real protocol.
 */
import OpenAI, { BadRequestError, NotFoundError } from "openai";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FakeServer } from "../fakes/harness.js";
import { startFakeOpenAI } from "../fakes/openai.js";

let fake: FakeServer;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  client = new OpenAI({ apiKey: "test-openai-key", baseURL: `${fake.url}/v1`, maxRetries: 0, logLevel: "off" });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const weather = { type: "function" as const, name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { query: { type: "string" } } }, strict: false };

async function collect(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const out: ResponseStreamEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

describe("fake OpenAI /v1/responses, through the official SDK", () => {
  it("answers a string input with a message, usage and the request echoed", async () => {
    const r = await client.responses.create({ model: "gpt-4o-mini", input: "Hello", instructions: "Be brief.", max_output_tokens: 100 });
    expect(r).toMatchObject({ object: "response", status: "completed", model: "gpt-4o-mini", instructions: "Be brief.", max_output_tokens: 100, store: true, previous_response_id: null });
    expect(r.id).toMatch(/^resp_/);
    expect(r.output).toEqual([{ id: expect.stringMatching(/^msg_/) as string, type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", annotations: [], logprobs: [], text: "Echo: Hello" }] }]);
    expect(r.output_text).toBe("Echo: Hello");
    expect(r.usage).toMatchObject({ input_tokens: expect.any(Number) as number, output_tokens: 3, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } });
  });

  it("streams the event sequence with sequence numbers, indexes and item ids", async () => {
    const events = await collect(await client.responses.create({ model: "m", input: "Stream me something", stream: true }));
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...Array(Math.ceil("Echo: Stream me something".length / 4)).fill("response.output_text.delta"),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const added = events[2];
    if (added?.type !== "response.output_item.added") throw new Error("no item");
    for (const e of events.slice(3, -2)) expect(e).toMatchObject({ item_id: added.item.id, output_index: 0 });
    const created = events[0];
    if (created?.type !== "response.created") throw new Error("no created");
    expect(created.response).toMatchObject({ status: "in_progress", output: [], usage: null });
  });

  it("responses.stream(): deltas, and finalResponse() is the whole response", async () => {
    const stream = client.responses.stream({ model: "m", input: [{ role: "user", content: [{ type: "input_text", text: "stream helper" }] }] });
    const deltas: string[] = [];
    stream.on("response.output_text.delta", (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(deltas.join("")).toBe("Echo: stream helper");
    // The helper's final response has no output_text (only create() adds it): read the message.
    expect(final.output[0]).toMatchObject({ type: "message", content: [{ type: "output_text", text: "Echo: stream helper" }] });
    expect(final.status).toBe("completed");
  });

  it("calls a function, streamed as argument deltas, then answers its output", async () => {
    const events = await collect(await client.responses.create({ model: "m", input: "weather in Paris", tools: [weather], stream: true }));
    const done = events.find((e) => e.type === "response.output_item.done");
    if (done?.type !== "response.output_item.done" || done.item.type !== "function_call") throw new Error("no call");
    expect(done.item).toMatchObject({ type: "function_call", name: "get_weather", arguments: '{"query":"weather in Paris"}', status: "completed" });
    expect(events.filter((e) => e.type === "response.function_call_arguments.delta").length).toBeGreaterThan(1);
    const call = done.item;
    const second = await client.responses.create({
      model: "m",
      tools: [weather],
      input: [{ role: "user", content: "weather in Paris" }, { type: "function_call", call_id: call.call_id, name: call.name, arguments: call.arguments }, { type: "function_call_output", call_id: call.call_id, output: "sunny" }],
    });
    expect(second.output_text).toBe("Tool said: sunny");
  });

  it("tool_choice none answers in text; a forced function is called", async () => {
    expect((await client.responses.create({ model: "m", input: "x", tools: [weather], tool_choice: "none" })).output_text).toBe("Echo: x");
    const forced = await client.responses.create({ model: "m", input: "x", tools: [weather, { ...weather, name: "other" }], tool_choice: { type: "function", name: "other" } });
    expect(forced.output[0]).toMatchObject({ type: "function_call", name: "other" });
  });

  it("text.format json_schema answers JSON that fills the schema", async () => {
    const r = await client.responses.create({
      model: "m",
      input: "Ada",
      text: { format: { type: "json_schema", name: "person", schema: { type: "object", properties: { name: { type: "string" }, age: { type: "integer" } }, required: ["name", "age"] }, strict: true } },
    });
    expect(JSON.parse(r.output_text)).toEqual({ name: "Ada", age: 0 });
  });

  it("max_output_tokens cuts the answer: status incomplete, streamed as response.incomplete", async () => {
    const r = await client.responses.create({ model: "m", input: "a long question indeed", max_output_tokens: 2 });
    expect(r).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } });
    expect(r.output_text).toBe("Echo: a ");
    const events = await collect(await client.responses.create({ model: "m", input: "a long question indeed", max_output_tokens: 2, stream: true }));
    expect(events.at(-1)?.type).toBe("response.incomplete");
  });

  it("keeps nothing: previous_response_id, item_reference and an orphan function_call_output are refused", async () => {
    const prev = await client.responses.create({ model: "m", input: "x", previous_response_id: "resp_nope" }).catch((e: unknown) => e);
    expect(prev).toBeInstanceOf(BadRequestError);
    expect((prev as BadRequestError).param).toBe("previous_response_id");
    const ref = await client.responses.create({ model: "m", input: [{ type: "item_reference", id: "msg_1" }] }).catch((e: unknown) => e);
    expect(ref).toBeInstanceOf(NotFoundError);
    const orphan = await client.responses.create({ model: "m", input: [{ type: "function_call_output", call_id: "call_1", output: "x" }] }).catch((e: unknown) => e);
    expect(orphan).toBeInstanceOf(BadRequestError);
    const reasoning = await client.responses.create({ model: "m", store: false, input: [{ type: "reasoning", id: "rs_1", summary: [] }, { role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(reasoning).toBeInstanceOf(NotFoundError);
  });

  it("a missing model is a 400 naming it; a cut stream breaks the SDK's iteration", async () => {
    const r = await fetch(`${fake.url}/v1/responses`, { method: "POST", headers: { authorization: "Bearer test-openai-key", "content-type": "application/json" }, body: JSON.stringify({ input: "x" }) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { param: string } }).error.param).toBe("model");
    fake.enqueue({ type: "cut", afterEvents: 4 });
    const stream = client.responses.stream({ model: "m", input: "cut me" });
    await expect(stream.finalResponse()).rejects.toThrow();
  });
});

describe("fake OpenAI /v1/responses, through the Vercel AI SDK's default provider", () => {
  it("generateText with a tool over two steps", async () => {
    const { createOpenAI } = await import("@ai-sdk/openai");
    const { generateText, jsonSchema, stepCountIs, tool } = await import("ai");
    const openai = createOpenAI({ apiKey: "test-openai-key", baseURL: `${fake.url}/v1` });
    const lookup = tool({ description: "Look it up", inputSchema: jsonSchema<{ query: string }>({ type: "object", properties: { query: { type: "string" } }, required: ["query"] }), execute: ({ query }) => Promise.resolve(`found ${query}`) });
    const r = await generateText({ model: openai("gpt-4o-mini"), prompt: "paris", tools: { lookup }, stopWhen: stepCountIs(2) });
    expect(r.steps).toHaveLength(2);
    expect(r.text).toBe("Tool said: found paris");
    expect(fake.requests.map((q) => q.path)).toEqual(["/v1/responses", "/v1/responses"]);
  });
});

/**
 * Drives the Anthropic fake with the official SDK: if the SDK accepts its answers, parses its streams
 * and raises the right error classes for its faults, the fake speaks the real protocol.
 */
import Anthropic, { AuthenticationError, BadRequestError, RateLimitError } from "@anthropic-ai/sdk";
import type { RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic } from "../fakes/anthropic.js";

let fake: FakeAnthropic;
let client: Anthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  client = new Anthropic({ apiKey: fake.apiKey, baseURL: fake.url, maxRetries: 0, logLevel: "off" });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const weatherTool = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object" as const, properties: { query: { type: "string" } } },
};

async function collect(stream: AsyncIterable<RawMessageStreamEvent>): Promise<RawMessageStreamEvent[]> {
  const events: RawMessageStreamEvent[] = [];
  for await (const e of stream) events.push(e);
  return events;
}

describe("fake Anthropic, through the official SDK", () => {
  it("answers a plain message with an echo, usage and a request id", async () => {
    const { data: msg, response } = await client.messages
      .create({ model: "claude-test", max_tokens: 100, messages: [{ role: "user", content: "Hello" }] })
      .withResponse();
    expect(msg).toMatchObject({
      id: "msg_fake_1",
      type: "message",
      role: "assistant",
      model: "claude-test",
      content: [{ type: "text", text: "Echo: Hello" }],
      stop_reason: "end_turn",
      stop_sequence: null,
    });
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
    expect(msg.usage.output_tokens).toBe(Math.ceil("Echo: Hello".length / 4));
    expect(response.headers.get("request-id")).toBe("req_fake_1");
    const sent = fake.requests[0];
    expect(sent?.headers["anthropic-version"]).toBeTruthy();
    expect(sent?.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
  });

  it("streams the real event sequence, text in several deltas", async () => {
    const stream = await client.messages.create({
      model: "claude-test",
      max_tokens: 100,
      stream: true,
      messages: [{ role: "user", content: "Stream me something longer" }],
    });
    const events = await collect(stream);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe("message_start");
    expect(types[1]).toBe("content_block_start");
    expect(types.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    const deltas = events.flatMap((e) =>
      e.type === "content_block_delta" && e.delta.type === "text_delta" ? [e.delta.text] : [],
    );
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.join("")).toBe("Echo: Stream me something longer");
    const last = events.at(-2);
    expect(last?.type === "message_delta" && last.delta.stop_reason).toBe("end_turn");
  });

  it("calls the offered tool, then answers its result", async () => {
    const first = await client.messages.create({
      model: "claude-test",
      max_tokens: 100,
      tools: [weatherTool],
      messages: [{ role: "user", content: "Paris" }],
    });
    expect(first.stop_reason).toBe("tool_use");
    const call = first.content[0];
    if (call?.type !== "tool_use") throw new Error("expected a tool_use block");
    expect(call).toMatchObject({ name: "get_weather", input: { query: "Paris" } });

    const second = await client.messages.create({
      model: "claude-test",
      max_tokens: 100,
      tools: [weatherTool],
      messages: [
        { role: "user", content: "Paris" },
        { role: "assistant", content: first.content.map((b) => (b.type === "tool_use" ? { ...b, caller: undefined } : b)) },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "sunny" }] },
      ],
    });
    expect(second.content).toEqual([{ type: "text", text: "Tool said: sunny" }]);
  });

  it("streams tool arguments as input_json_delta pieces", async () => {
    const stream = await client.messages.create({
      model: "claude-test",
      max_tokens: 100,
      stream: true,
      tools: [weatherTool],
      tool_choice: { type: "tool", name: "get_weather" },
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
    });
    const events = await collect(stream);
    const json = events.flatMap((e) =>
      e.type === "content_block_delta" && e.delta.type === "input_json_delta" ? [e.delta.partial_json] : [],
    );
    expect(json.length).toBeGreaterThan(2);
    expect(JSON.parse(json.join(""))).toEqual({ query: "What is the weather in Paris?" });
  });

  it("honours tool_choice none", async () => {
    const msg = await client.messages.create({
      model: "claude-test",
      max_tokens: 100,
      tools: [weatherTool],
      tool_choice: { type: "none" },
      messages: [{ role: "user", content: "hi" }],
    });
    expect(msg.content).toEqual([{ type: "text", text: "Echo: hi" }]);
  });

  it("applies stop_sequences and max_tokens like the API", async () => {
    const stopped = await client.messages.create({
      model: "m",
      max_tokens: 100,
      stop_sequences: ["world"],
      messages: [{ role: "user", content: "hello world" }],
    });
    expect(stopped).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "world" });
    expect(stopped.content).toEqual([{ type: "text", text: "Echo: hello " }]);
    const capped = await client.messages.create({ model: "m", max_tokens: 1, messages: [{ role: "user", content: "hello" }] });
    expect(capped).toMatchObject({ stop_reason: "max_tokens", content: [{ type: "text", text: "Echo" }] });
  });

  it("refuses a wrong key with 401 authentication_error", async () => {
    const bad = new Anthropic({ apiKey: "wrong", baseURL: fake.url, maxRetries: 0, logLevel: "off" });
    const err: unknown = await bad.messages
      .create({ model: "m", max_tokens: 1, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ status: 401, type: "authentication_error", apiMessage: "invalid x-api-key" });
  });

  it("validates like the API: alternation, tool_result placement, sampling parameters", async () => {
    const bad = [
      [{ role: "user", content: "a" }, { role: "user", content: "b" }],
      [{ role: "assistant", content: "a" }],
      [{ role: "user", content: [{ type: "text", text: "" }] }],
      [
        { role: "user", content: "a" },
        { role: "assistant", content: [{ type: "tool_result", tool_use_id: "t", content: "x" }] },
      ],
    ] as const;
    for (const messages of bad) {
      const err: unknown = await client.messages
        .create({ model: "m", max_tokens: 10, messages: messages as unknown as Anthropic.MessageParam[] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
    }
    const sampled = await fetch(`${fake.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": fake.apiKey, "anthropic-version": "2026-10-21", "content-type": "application/json" },
      body: JSON.stringify({ model: "m", max_tokens: 10, temperature: 0.5, messages: [{ role: "user", content: "x" }] }),
    });
    expect(sampled.status).toBe(400);
    expect(await sampled.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: "temperature: Extra inputs are not permitted" },
    });
  });

  it("requires anthropic-version", async () => {
    const res = await fetch(`${fake.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": fake.apiKey, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "x" }] }),
    });
    expect(res.status).toBe(400);
  });

  it("answers a 429 fault as rate_limit_error with retry-after", async () => {
    fake.enqueue({ type: "status", status: 429, retryAfter: "2" });
    const err: unknown = await client.messages
      .create({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    if (!(err instanceof RateLimitError)) return;
    expect(err.type).toBe("rate_limit_error");
    expect(err.headers.get("retry-after")).toBe("2");
    expect(err.requestID).toMatch(/^req_fake_/);
  });

  it("answers a 529 fault as overloaded_error", async () => {
    fake.enqueue({ type: "status", status: 529 });
    const err: unknown = await client.messages
      .create({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 529, type: "overloaded_error" });
  });

  it("a cut fault on a plain response rejects the SDK call", async () => {
    fake.enqueue({ type: "cut", afterEvents: 0 });
    const err: unknown = await client.messages
      .create({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
  });

  it("a cut fault surfaces as an error in the SDK stream", async () => {
    fake.enqueue({ type: "cut", afterEvents: 3 });
    const stream = await client.messages.create({
      model: "m",
      max_tokens: 100,
      stream: true,
      messages: [{ role: "user", content: "a fairly long message to stream" }],
    });
    const seen: string[] = [];
    const err: unknown = await (async () => {
      for await (const e of stream) seen.push(e.type);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(seen).not.toContain("message_stop");
  });
});

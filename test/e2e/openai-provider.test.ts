/**
 * The front door end to end: real `wrangler dev`, real D1, the official `openai` client as the caller,
 * and the fake OpenAI server as the upstream.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseTrace } from "@hearth/shared";
import { startFakeOpenAI } from "../fakes/openai.js";
import type { FakeServer } from "../fakes/harness.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

let fake: FakeServer;
let worker: RunningWorker;
let client: OpenAI;
let apiKey: string;
const MODEL = "openai/gpt-4o-mini";

beforeAll(async () => {
  fake = await startFakeOpenAI();
  worker = await startWorker({
    vars: { ...cloudVars(fake), HEARTH_RETRY_BASE_MS: "20", HEARTH_IDLE_TIMEOUT_MS: "1500" },
  });
  const user = await worker.createUser("alice");
  apiKey = user.apiKey;
  client = new OpenAI({ apiKey: user.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await worker?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

describe("OpenAI provider through Hearth", () => {
  it("answers a non-streaming request and says which target served", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: "user", content: "hello there" }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("Echo: hello there");
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get("x-hearth-target")).toBe(MODEL);
    expect(response.headers.get("x-hearth-attempts")).toBe("1");
    expect(fake.requests).toHaveLength(1);
    expect((fake.requests[0]?.body as { model: string }).model).toBe("gpt-4o-mini");
  });

  it("streams chunks in OpenAI's shape and ends cleanly", async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: MODEL, stream: true, messages: [{ role: "user", content: "stream me" }] })
      .withResponse();
    let text = "";
    let finish: string | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      expect(chunk.usage).toBeUndefined();
    }
    expect(text).toBe("Echo: stream me");
    expect(finish).toBe("stop");
    expect(chunks).toBeGreaterThan(3);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    expect(response.headers.get("x-hearth-target")).toBe(MODEL);
  });

  it("adds the usage chunk only when stream_options.include_usage is set", async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "count" }],
    });
    const usage = [];
    for await (const chunk of stream) if (chunk.usage) usage.push(chunk);
    expect(usage).toHaveLength(1);
    expect(usage[0]?.choices).toEqual([]);
    expect(usage[0]?.usage?.prompt_tokens).toBeGreaterThan(0);
  });

  it("round-trips a tool call", async () => {
    const tools = [{ type: "function" as const, function: { name: "lookup", parameters: { type: "object", properties: { query: { type: "string" } } } } }];
    const first = await client.chat.completions.create({ model: MODEL, tools, messages: [{ role: "user", content: "weather in Oslo" }] });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" && call.function.name).toBe("lookup");
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual({ query: "weather in Oslo" });
    const second = await client.chat.completions.create({
      model: MODEL,
      tools,
      messages: [
        { role: "user", content: "weather in Oslo" },
        first.choices[0]!.message,
        { role: "tool", tool_call_id: call!.id, content: "sunny, 21C" },
      ],
    });
    expect(second.choices[0]?.message.content).toBe("Tool said: sunny, 21C");
  });

  it("retries a 429, waiting as retry-after says, and counts both attempts", async () => {
    fake.enqueue({ type: "status", status: 429, retryAfter: "1" });
    const started = Date.now();
    const { data, response } = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: "user", content: "again" }] })
      .withResponse();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(data.choices[0]?.message.content).toBe("Echo: again");
    expect(response.headers.get("x-hearth-attempts")).toBe("2");
    const trace = parseTrace(response.headers.get("x-hearth-trace"));
    expect(trace.map((t) => [t.outcome, t.reason, t.status])).toEqual([
      ["failed", "http_429", 429],
      ["served", "ok", 200],
    ]);
    expect(fake.requests).toHaveLength(2);
  });

  it("gives up after the configured attempts with a 502 naming every attempt", async () => {
    fake.enqueue({ type: "status", status: 500 }, { type: "status", status: 500 }, { type: "status", status: 500 });
    const r = await fetch(`${worker.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${client.apiKey}` },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "x" }] }),
    });
    expect(r.status).toBe(502);
    expect(r.headers.get("x-hearth-error")).toBe("upstream_error");
    const body = (await r.json()) as { error: { code: string; hearth: boolean; attempts: { reason: string }[] } };
    expect(body.error.code).toBe("upstream_error");
    expect(body.error.hearth).toBe(true);
    expect(body.error.attempts.map((a) => a.reason)).toEqual(["http_500", "http_500", "http_500"]);
    expect(fake.requests).toHaveLength(3);
  });

  it("does not retry a 400 from the upstream and passes its status on", async () => {
    fake.enqueue({ type: "status", status: 400, message: "bad thing" });
    const r = await fetch(`${worker.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${client.apiKey}` },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "x" }] }),
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toContain("bad thing");
    expect(fake.requests).toHaveLength(1);
  });

  it("ends a stream cut after the first byte with an error event and no [DONE]", async () => {
    fake.enqueue({ type: "cut", afterEvents: 3 });
    const r = await fetch(`${worker.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${client.apiKey}` },
      body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: "user", content: "a longer answer please" }] }),
    });
    expect(r.status).toBe(200);
    const text = await r.text();
    const events = text.split("\n\n").filter(Boolean);
    expect(events.at(-1)).toContain('"code":"stream_interrupted"');
    expect(text).not.toContain("[DONE]");
    expect(fake.requests).toHaveLength(1); // committed: no retry after the first byte

    fake.enqueue({ type: "cut", afterEvents: 3 });
    const stream = await client.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: "user", content: "a longer answer please" }] });
    await expect(async () => {
      for await (const _ of stream) {
        // drain
      }
    }).rejects.toThrow(/broke|ended/);
  });

  it("falls over invisibly when the stream fails before its first content", async () => {
    fake.enqueue({ type: "cut", afterEvents: 1 }); // only the role chunk, then the socket dies
    const { data: stream, response } = await client.chat.completions
      .create({ model: MODEL, stream: true, messages: [{ role: "user", content: "retry me" }] })
      .withResponse();
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Echo: retry me");
    expect(response.headers.get("x-hearth-attempts")).toBe("2");
    expect(fake.requests).toHaveLength(2);
  });
});

/**
 * A streaming client of OpenAI's own API is carried as it came once its answer began (pipeline/
 * raw-stream.ts): the bytes are OpenAI's, and every way it can end still ends the request.
 */
describe("a stream carried as it came", () => {
  const post = (body: object, signal?: AbortSignal) =>
    fetch(`${worker.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${apiKey}` }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });

  it("is OpenAI's stream byte for byte, with no usage chunk unless asked (and usage not asked of OpenAI then)", async () => {
    const r = await post({ model: MODEL, stream: true, messages: [{ role: "user", content: "carry me" }] });
    const text = await r.text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(text).not.toContain('"usage"');
    expect((fake.requests[0]?.body as { stream_options?: unknown }).stream_options).toBeUndefined();
    const asked = await post({ model: MODEL, stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "carry me" }] });
    const withUsage = await asked.text();
    expect(withUsage).toContain('"choices":[],"usage":{');
    expect(fake.requests[1]?.body).toMatchObject({ stream_options: { include_usage: true } });
  });

  it("a stall after the answer began ends with a typed error event at the idle deadline, no [DONE]", async () => {
    fake.enqueue({ type: "stall", afterEvents: 3 });
    const t0 = Date.now();
    const r = await post({ model: MODEL, stream: true, messages: [{ role: "user", content: "a longer answer please" }] });
    const text = await r.text();
    const ms = Date.now() - t0;
    expect(text).not.toContain("[DONE]");
    expect(text.split("\n\n").filter(Boolean).at(-1)).toContain('"code":"upstream_timeout"');
    expect(ms).toBeGreaterThanOrEqual(1_400);
    expect(ms).toBeLessThan(6_000);
    // The upstream was let go at once.
    await new Promise((res) => setTimeout(res, 200));
    expect(fake.requests[0]?.aborted).toBe(true);
  });

  it("a client that leaves a stalled stream: the upstream is stopped by the idle deadline at the latest", async () => {
    // The runtime learns a client left only when it writes to it; a stalled upstream writes nothing,
    // so the idle deadline (1.5 s here) is what lets the upstream go.
    fake.enqueue({ type: "stall", afterEvents: 3 });
    const controller = new AbortController();
    const r = await post({ model: MODEL, stream: true, messages: [{ role: "user", content: "a longer answer please" }] }, controller.signal);
    await r.body?.getReader().read();
    const left = Date.now();
    controller.abort();
    const until = Date.now() + 5_000;
    while (!fake.requests[0]?.aborted && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
    expect(fake.requests[0]?.aborted).toBe(true);
    expect(Date.now() - left).toBeLessThan(3_000);
  });

  it("records the answer's usage for the stats, counted when the client asked for none", async () => {
    const stats = async () => ((await (await fetch(`${worker.url}/v1/stats`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as { targets: Record<string, { completion_tokens: number } | undefined> }).targets[MODEL]?.completion_tokens ?? 0;
    const before = await stats();
    const r = await post({ model: MODEL, stream: true, messages: [{ role: "user", content: "count these words please" }] });
    const deltas = (await r.text()).split("\n\n").filter((e) => e.includes('"content":"') && !e.includes('"content":""')).length;
    expect(deltas).toBeGreaterThan(1);
    const until = Date.now() + 3_000;
    let after = await stats();
    while (after === before && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 50));
      after = await stats();
    }
    expect(after - before).toBe(deltas);
  });
});


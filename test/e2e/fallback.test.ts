/**
 * Retries and fallback across providers end to end: real `wrangler dev` with both cloud fakes up, the
 * official `openai` client as the caller, `model: "auto"` with a user policy of OpenAI then Anthropic.
 * What is asserted is what a caller can see: status, body, which target served, how many upstream
 * calls were made, and the trace of reasons.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseTrace } from "@hearth/shared";
import { startFakeAnthropic, type FakeAnthropic } from "../fakes/anthropic.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import type { Fault, FakeServer } from "../fakes/harness.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";
import { postChat, traceOf } from "../support/chat.js";

const OPENAI = "openai/gpt-4o-mini";
const ANTHROPIC = "anthropic/claude-x";
/** Short enough to keep the file fast; long enough for a local fake's first chunk on a busy 2-core box. */
const FIRST_CHUNK_TIMEOUT_MS = 1000;

let openai: FakeServer;
let anthropic: FakeAnthropic;
let worker: RunningWorker;
/** autoTargets: OpenAI, then Anthropic. */
let client: OpenAI;
/** autoTargets: Anthropic, then OpenAI. */
let reversed: OpenAI;

interface ErrorJson {
  error: { code: string; hearth: boolean; attempts: { target: string; outcome: string; reason: string; status?: number }[] };
}

const times = (n: number, fault: Fault): Fault[] => Array.from({ length: n }, () => fault);

const post = (body: object) => postChat(worker.url, client.apiKey, body);

beforeAll(async () => {
  [openai, anthropic] = await Promise.all([startFakeOpenAI(), startFakeAnthropic()]);
  worker = await startWorker({
    vars: {
      ...cloudVars(openai, anthropic),
      HEARTH_RETRY_BASE_MS: "20",
      HEARTH_FIRST_CHUNK_TIMEOUT_MS: String(FIRST_CHUNK_TIMEOUT_MS),
    },
  });
  const [a, b] = await Promise.all([
    // cloud_only: these cases are about the cloud targets; home's place in the order is tested with the sidecar.
    worker.createUser("ordered", { mode: "cloud_only", autoTargets: [OPENAI, ANTHROPIC] }),
    worker.createUser("reversed", { mode: "cloud_only", autoTargets: [ANTHROPIC, OPENAI] }),
  ]);
  client = new OpenAI({ apiKey: a.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
  reversed = new OpenAI({ apiKey: b.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
  keys = [a.apiKey, b.apiKey];
});
afterAll(async () => {
  await worker?.stop();
  await Promise.all([openai?.close(), anthropic?.close()]);
});
let keys: string[] = [];
beforeEach(async () => {
  openai.reset();
  anthropic.reset();
  // Each case starts from a clean history: a run of failures here would otherwise (rightly) open the
  // failing target's breaker and reorder the next case's targets.
  for (const key of keys) {
    const r = await fetch(`${worker.url}/v1/stats`, { method: "DELETE", headers: { authorization: `Bearer ${key}` } });
    expect(r.status).toBe(204);
  }
});

describe("fallback from OpenAI to Anthropic", () => {
  it("serves from the first target when it is healthy", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("Echo: hi");
    expect(response.headers.get("x-hearth-target")).toBe(OPENAI);
    expect(anthropic.requests).toHaveLength(0);
  });

  it("falls back after three 500s, counting every upstream call", async () => {
    openai.enqueue(...times(3, { type: "status", status: 500 }));
    const { data, response } = await client.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: "five hundred" }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("Echo: five hundred");
    expect(response.headers.get("x-hearth-target")).toBe(ANTHROPIC);
    expect(response.headers.get("x-hearth-attempts")).toBe("4");
    expect(traceOf(response.headers)).toEqual([
      [OPENAI, "failed", "http_500"],
      [OPENAI, "failed", "http_500"],
      [OPENAI, "failed", "http_500"],
      [ANTHROPIC, "served", "ok"],
    ]);
    expect(openai.requests).toHaveLength(3);
    expect(anthropic.requests).toHaveLength(1);
  });

  it("moves on at once when retry-after is longer than the cap", async () => {
    openai.enqueue({ type: "status", status: 429, retryAfter: "60" });
    const started = Date.now();
    const { response } = await client.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: "busy" }] })
      .withResponse();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(response.headers.get("x-hearth-target")).toBe(ANTHROPIC);
    expect(response.headers.get("x-hearth-attempts")).toBe("2");
    expect(traceOf(response.headers)).toEqual([
      [OPENAI, "failed", "retry_after_too_long"],
      [ANTHROPIC, "served", "ok"],
    ]);
    expect(openai.requests).toHaveLength(1);
  });

  it("falls back on a 401 from a provider (a bad key there is not the caller's fault), without retrying it", async () => {
    openai.enqueue({ type: "status", status: 401 });
    const { response } = await client.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: "key" }] })
      .withResponse();
    expect(response.headers.get("x-hearth-target")).toBe(ANTHROPIC);
    expect(response.headers.get("x-hearth-attempts")).toBe("2");
    expect(traceOf(response.headers)).toEqual([
      [OPENAI, "failed", "http_401"],
      [ANTHROPIC, "served", "ok"],
    ]);
    expect(openai.requests).toHaveLength(1);
  });

  it("retries a reset connection on the same target", async () => {
    openai.enqueue({ type: "reset" });
    const { data, response } = await client.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: "reset" }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("Echo: reset");
    expect(response.headers.get("x-hearth-target")).toBe(OPENAI);
    expect(response.headers.get("x-hearth-attempts")).toBe("2");
    expect(traceOf(response.headers)).toEqual([
      [OPENAI, "failed", "connection"],
      [OPENAI, "served", "ok"],
    ]);
    expect(anthropic.requests).toHaveLength(0);
  });

  it("hides a streaming fallback from the client when OpenAI breaks before any content", async () => {
    openai.enqueue(...times(3, { type: "cut", afterEvents: 1 })); // the role chunk, then the socket dies
    const { data: stream, response } = await client.chat.completions
      .create({ model: "auto", stream: true, messages: [{ role: "user", content: "invisible" }] })
      .withResponse();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("Echo: invisible");
    // One stream, from Anthropic alone: one opener, one id, Anthropic's message id in it.
    expect(chunks.filter((c) => c.choices[0]?.delta.role === "assistant")).toHaveLength(1);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0]?.id).toMatch(/^chatcmpl-msg_/);
    expect(chunks.some((c) => c.system_fingerprint === "fp_fake")).toBe(false);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
    expect(response.headers.get("x-hearth-target")).toBe(ANTHROPIC);
    expect(response.headers.get("x-hearth-attempts")).toBe("4");
    expect(openai.requests).toHaveLength(3);
  });

  it("falls back when OpenAI sends no first chunk within HEARTH_FIRST_CHUNK_TIMEOUT_MS", async () => {
    openai.enqueue({ type: "hang" });
    const started = Date.now();
    const { data: stream, response } = await client.chat.completions
      .create({ model: "auto", stream: true, messages: [{ role: "user", content: "slow" }] })
      .withResponse();
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    const elapsed = Date.now() - started;
    expect(text).toBe("Echo: slow");
    expect(elapsed).toBeGreaterThanOrEqual(FIRST_CHUNK_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(FIRST_CHUNK_TIMEOUT_MS + 8_000);
    expect(response.headers.get("x-hearth-target")).toBe(ANTHROPIC);
    expect(response.headers.get("x-hearth-attempts")).toBe("2");
    expect(traceOf(response.headers)).toEqual([
      [OPENAI, "failed", "timeout"],
      [ANTHROPIC, "served", "ok"],
    ]);
    expect(openai.requests).toHaveLength(1); // a timeout moves on; it is not retried on the same target
  });

  it("answers 502 naming every target's reason when all are down", async () => {
    openai.enqueue(...times(3, { type: "status", status: 500 }));
    anthropic.enqueue({ type: "status", status: 401 });
    const r = await post({ model: "auto", messages: [{ role: "user", content: "x" }] });
    expect(r.status).toBe(502);
    expect(r.headers.get("x-hearth-error")).toBe("upstream_error");
    expect(r.headers.get("x-hearth-attempts")).toBe("4");
    const body = (await r.json()) as ErrorJson;
    expect(body.error.code).toBe("upstream_error");
    expect(body.error.hearth).toBe(true);
    expect(body.error.attempts.map((a) => [a.target, a.reason])).toEqual([
      [OPENAI, "http_500"],
      [OPENAI, "http_500"],
      [OPENAI, "http_500"],
      [ANTHROPIC, "http_401"],
    ]);
    expect(openai.requests).toHaveLength(3);
    expect(anthropic.requests).toHaveLength(1);
  });

  it("answers 429 with retry-after when every target is rate limited for long", async () => {
    openai.enqueue({ type: "status", status: 429, retryAfter: "60" });
    anthropic.enqueue({ type: "status", status: 429, retryAfter: "60" });
    const started = Date.now();
    const r = await post({ model: "auto", messages: [{ role: "user", content: "x" }] });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.status).toBe(429);
    expect(r.headers.get("x-hearth-error")).toBe("upstream_rate_limited");
    expect(r.headers.get("retry-after")).toBe("60");
    const body = (await r.json()) as ErrorJson;
    expect(body.error.code).toBe("upstream_rate_limited");
    expect(body.error.attempts.map((a) => [a.target, a.reason])).toEqual([
      [OPENAI, "retry_after_too_long"],
      [ANTHROPIC, "retry_after_too_long"],
    ]);
  });
});

describe("audio input and provider capabilities", () => {
  const audio = [
    { type: "text" as const, text: "transcribe" },
    { type: "input_audio" as const, input_audio: { data: "UklGRiQAAABXQVZFZm10IBAAAAABAAEA", format: "wav" as const } },
  ];

  it("sends input_audio to OpenAI when OpenAI is first", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: audio }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("Echo: transcribe");
    expect(response.headers.get("x-hearth-target")).toBe(OPENAI);
    const sent = openai.requests[0]?.body as { messages: { content: unknown }[] };
    expect(sent.messages[0]?.content).toEqual(audio);
    expect(anthropic.requests).toHaveLength(0);
  });

  it("passes over Anthropic as unsupported, without calling it, when Anthropic is first", async () => {
    const { data, response } = await reversed.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: audio }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("Echo: transcribe");
    expect(response.headers.get("x-hearth-target")).toBe(OPENAI);
    const trace = parseTrace(response.headers.get("x-hearth-trace"));
    expect(trace.map((t) => [t.target, t.reason])).toEqual([
      [ANTHROPIC, "unsupported"],
      [OPENAI, "ok"],
    ]);
    expect(anthropic.requests).toHaveLength(0);
    expect(openai.requests).toHaveLength(1);
  });

  // x-hearth-attempts counts upstream calls: a target passed over before any call is a skip, not an attempt.
  it("does not count a target passed over as unsupported in x-hearth-attempts", async () => {
    const { response } = await reversed.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: audio }] })
      .withResponse();
    expect(anthropic.requests).toHaveLength(0);
    expect(openai.requests).toHaveLength(1);
    expect(response.headers.get("x-hearth-attempts")).toBe("1");
    expect(parseTrace(response.headers.get("x-hearth-trace"))[0]?.outcome).toBe("skipped");
  });

  it("answers 400 unsupported_parameter when the only target cannot take the request", async () => {
    const r = await fetch(`${worker.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${reversed.apiKey}` },
      body: JSON.stringify({ model: ANTHROPIC, messages: [{ role: "user", content: audio }] }),
    });
    expect(r.status).toBe(400);
    expect(r.headers.get("x-hearth-attempts")).toBe("0");
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("unsupported_parameter");
    expect(body.error.message).toMatch(/input_audio|audio/);
    expect(anthropic.requests).toHaveLength(0);
  });
});

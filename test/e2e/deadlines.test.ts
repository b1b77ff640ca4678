/**
 * Deadlines over the whole answer, end to end against a paced home: real `wrangler dev`, the real
 * sidecar CLI in front of the fake Ollama paced like a home on a CPU (a first token after a while,
 * then a few tokens a second, answers of dozens of tokens), the fake OpenAI as the cloud, both client
 * modes. Every request must end with a whole answer or a typed error — never a hang.
 *
 *   first content   home's learned deadline (here the policy's ceiling), the cloud's
 *   idle            the longest silence between chunks once the answer began (a stall)
 *   total           the ceiling over the whole request
 */
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FakeServer } from "../fakes/harness.js";
import { chatRequests, expectedAnswer, startFakeOllama, type FakeOllama, type FakeOllamaModel } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { postChat, sseData, streamText, sseChunks, traceOf } from "../support/chat.js";
import { startSidecar, waitFor, type SidecarProcess } from "../support/sidecar.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

const OPENAI = "openai/gpt-4o-mini";
const HOME = "local/paced:latest";
/** ~4 s an answer: 20 ms to the first token, then 26 tokens at 7/s — longer than home's first-token deadline + the backstop. */
const PACED: FakeOllamaModel = { name: "paced", firstTokenMs: 20, tokensPerSecond: 7, answerTokens: 26 };

let openai: FakeServer;
let ollama: FakeOllama;
let worker: RunningWorker;
let sidecar: SidecarProcess;
let user: Awaited<ReturnType<RunningWorker["createUser"]>>;

const client = () => new OpenAI({ apiKey: user.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0, timeout: 30_000 });
const ask = (content: string) => ({ model: "auto", messages: [{ role: "user" as const, content }] });

async function setPolicy(policy: object): Promise<void> {
  const r = await worker.admin("PUT", `/users/${user.id}/policy`, policy);
  if (r.status !== 200) throw new Error(`set policy: ${r.status} ${await r.text()}`);
}

beforeAll(async () => {
  [openai, ollama] = await Promise.all([startFakeOpenAI(), startFakeOllama({ models: [PACED] })]);
  ollama.loaded.set("paced:latest", Date.now() + 600_000);
  worker = await startWorker({ vars: { ...cloudVars(openai), HEARTH_AUTO_TARGETS: OPENAI, HEARTH_BREAKER_FAILURES: "1000" } });
  user = await worker.createUser("paced");
  sidecar = await startSidecar({ workerUrl: worker.url, token: user.sidecarToken, apiKey: user.apiKey, ollama: ollama.url, args: ["--slots", "4", "--queue", "4"] });
}, 90_000);

afterAll(async () => {
  await sidecar?.stop();
  await worker?.stop();
  await Promise.all([openai?.close(), ollama?.close()]);
});

beforeEach(() => {
  openai.reset();
  ollama.reset();
  ollama.loaded.set("paced:latest", Date.now() + 600_000);
});

describe("a slow, long answer from home", () => {
  beforeEach(() => setPolicy({ mode: "local_first", localFirstTokenMs: 1_000, idleTimeoutMs: 2_000 }));

  it("arrives whole for a non-streaming client, although it takes longer than home's first-token deadline + 2 s", async () => {
    const t0 = Date.now();
    const { data, response } = await client().chat.completions.create(ask("tell me a long story")).withResponse();
    expect(Date.now() - t0).toBeGreaterThan(3_000);
    expect(response.headers.get("x-hearth-target")).toBe(HOME);
    expect(data.choices[0]?.message.content).toBe(expectedAnswer(PACED, "tell me a long story"));
    expect(data.choices[0]?.finish_reason).toBe("stop");
    expect(response.headers.get("x-hearth-attempts")).toBe("1");
  });

  it("arrives whole for a streaming client, ending with [DONE]", async () => {
    const r = await postChat(worker.url, user.apiKey, { ...ask("tell me another"), stream: true });
    expect(r.headers.get("x-hearth-target")).toBe(HOME);
    const text = await r.text();
    expect(sseData(text).at(-1)).toBe("[DONE]");
    expect(streamText(sseChunks(text))).toBe(expectedAnswer(PACED, "tell me another"));
  });
});

describe("a home that stalls after its first token", () => {
  it("non-streaming: the stalled answer is dropped, the cloud answers from scratch, home's generation is cancelled", async () => {
    await setPolicy({ mode: "local_first", idleTimeoutMs: 500 });
    ollama.enqueueChat({ type: "stall", afterEvents: 3 });
    const { data, response } = await client().chat.completions.create(ask("stall please")).withResponse();
    expect(data.choices[0]?.message.content).toBe("Echo: stall please");
    expect(response.headers.get("x-hearth-target")).toBe(OPENAI);
    expect(traceOf(response.headers)).toEqual([
      [HOME, "broken", "idle_timeout"],
      [OPENAI, "served", "ok"],
    ]);
    expect(response.headers.get("x-hearth-attempts")).toBe("2");
    await waitFor(async () => chatRequests(ollama)[0]?.aborted === true, 5_000, "home's Ollama call to be aborted");
  });

  it("streaming: the stream ends with a typed error event and no [DONE] — not a hang", async () => {
    await setPolicy({ mode: "local_first", idleTimeoutMs: 500 });
    ollama.enqueueChat({ type: "stall", afterEvents: 3 });
    const t0 = Date.now();
    const r = await postChat(worker.url, user.apiKey, { ...ask("stall the stream"), stream: true });
    const events = sseData(await r.text());
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(events).not.toContain("[DONE]");
    const last = JSON.parse(events.at(-1) ?? "{}") as { error?: { code: string; attempts?: { reason: string }[] } };
    expect(last.error?.code).toBe("upstream_timeout");
    expect(last.error?.attempts?.[0]?.reason).toBe("idle_timeout");
    // The official client raises it rather than returning a truncated answer.
    ollama.enqueueChat({ type: "stall", afterEvents: 3 });
    const stream = await client().chat.completions.create({ ...ask("stall the sdk"), stream: true });
    await expect(async () => {
      for await (const _ of stream) void _;
    }).rejects.toThrow();
  });

  it("local_only, non-streaming: a typed 504 naming the stall", async () => {
    await setPolicy({ mode: "local_only", idleTimeoutMs: 500 });
    ollama.enqueueChat({ type: "stall", afterEvents: 3 });
    const r = await postChat(worker.url, user.apiKey, ask("nowhere else"));
    expect(r.status).toBe(504);
    expect(traceOf(r.headers)).toEqual([[HOME, "broken", "idle_timeout"]]);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("upstream_timeout");
  });

  it("with continueOnBreak, the cloud continues the answer in the same stream: one id, [DONE], the splice named", async () => {
    await setPolicy({ mode: "local_first", idleTimeoutMs: 500, continueOnBreak: true });
    ollama.enqueueChat({ type: "stall", afterEvents: 5 });
    const r = await postChat(worker.url, user.apiKey, { ...ask("continue me"), stream: true });
    const text = await r.text();
    const events = sseData(text);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = sseChunks(text) as (ReturnType<typeof sseChunks>[number] & { hearth?: { continued: object[] } })[];
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    const homePart = expectedAnswer(PACED, "continue me").split(" ").slice(0, 5).join(" ");
    expect(streamText(chunks).startsWith(homePart.slice(0, 10))).toBe(true);
    expect(chunks.find((c) => c.hearth)?.hearth?.continued).toEqual([expect.objectContaining({ from: HOME, to: OPENAI, reason: "idle_timeout" })]);
    // The cloud was given the text so far as the assistant's turn.
    const sent = openai.requests[0]?.body as { messages: { role: string; content: string }[] };
    expect(sent.messages.at(-2)?.role).toBe("assistant");
    expect(streamText(chunks).startsWith(sent.messages.at(-2)?.content ?? "")).toBe(true);
  });
});

describe("a home that hangs before its first token", () => {
  it.each([false, true])("goes to the cloud after home's first-token deadline (stream %s)", async (stream) => {
    await setPolicy({ mode: "local_first", localFirstTokenMs: 600 });
    ollama.enqueueChat({ type: "stall", afterEvents: 0 });
    const t0 = Date.now();
    const r = await postChat(worker.url, user.apiKey, { ...ask("hang"), stream });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-hearth-target")).toBe(OPENAI);
    expect(traceOf(r.headers)[0]).toEqual([HOME, "failed", "timeout"]);
    expect(Date.now() - t0).toBeLessThan(3_000);
    await r.text();
  });
});

describe("the total deadline", () => {
  beforeEach(() => setPolicy({ mode: "local_only", totalTimeoutMs: 1_500 }));

  it("non-streaming: a typed 504 when the whole answer cannot be had in time", async () => {
    const t0 = Date.now();
    const r = await postChat(worker.url, user.apiKey, ask("too long for the total"));
    expect(r.status).toBe(504);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(traceOf(r.headers)).toEqual([[HOME, "broken", "total_timeout"]]);
  });

  it("streaming: the stream ends with a typed error event at the total deadline", async () => {
    const t0 = Date.now();
    const r = await postChat(worker.url, user.apiKey, { ...ask("too long for the total, streamed"), stream: true });
    const events = sseData(await r.text());
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(events).not.toContain("[DONE]");
    expect((JSON.parse(events.at(-1) ?? "{}") as { error?: { code: string } }).error?.code).toBe("upstream_timeout");
  });
});

describe("explain shows the deadlines", () => {
  it("names each target's first-content deadline, and the idle and total deadlines", async () => {
    await setPolicy({ mode: "local_first", localFirstTokenMs: 1_234, idleTimeoutMs: 4_321, totalTimeoutMs: 99_000 });
    const r = await fetch(`${worker.url}/v1/route/explain`, { method: "POST", headers: { authorization: `Bearer ${user.apiKey}` }, body: JSON.stringify(ask("hi")) });
    const plan = (await r.json()) as { targets: { target: string; deadline_ms: number }[]; deadlines: object };
    expect(plan.targets[0]).toMatchObject({ target: HOME, deadline_ms: 1_234 });
    expect(plan.deadlines).toEqual({ idle_ms: 4_321, total_ms: 99_000 });
  });
});

describe("continueOnBreak when home dies mid-answer", () => {
  it("the sidecar killed mid-stream: the cloud continues the answer in the same stream", async () => {
    await setPolicy({ mode: "local_first", continueOnBreak: true });
    ollama.enqueueChat({ type: "pace", tokensPerSecond: 4 });
    const r = await postChat(worker.url, user.apiKey, { ...ask("die midway"), stream: true });
    expect(r.headers.get("x-hearth-target")).toBe(HOME);
    const reader = r.body?.getReader();
    if (!reader) throw new Error("no body");
    const decoder = new TextDecoder();
    let text = "";
    // Two pieces of home's answer, then the machine goes away.
    while ((text.match(/"content":"[^"]+"/g) ?? []).length < 2) text += decoder.decode((await reader.read()).value, { stream: true });
    sidecar.child.kill("SIGKILL");
    for (let r2 = await reader.read(); !r2.done; r2 = await reader.read()) text += decoder.decode(r2.value, { stream: true });
    const events = sseData(text);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = sseChunks(text) as (ReturnType<typeof sseChunks>[number] & { hearth?: { continued: { from: string; to: string; reason: string }[] } })[];
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.find((c) => c.hearth)?.hearth?.continued[0]).toMatchObject({ from: HOME, to: OPENAI, reason: "disconnected" });
    sidecar = await startSidecar({ workerUrl: worker.url, token: user.sidecarToken, apiKey: user.apiKey, ollama: ollama.url, args: ["--slots", "4", "--queue", "4"] });
  });
});

/**
 * GET /v1/stats end to end: real `wrangler dev`, the real sidecar CLI in front of the fake Ollama,
 * the cloud fakes, the official `openai` client. A known mix of requests goes in — answered at home,
 * by the cloud as asked, by the cloud after home failed, by nobody — and the stats must add up to
 * exactly what the client saw: counts, targets, reasons, tokens, cost at the configured prices.
 *
 * The Worker sends each request's record after the response (waitUntil), so stats trail the client
 * by a moment: every read polls until the expected number of requests is in, then asserts exactly.
 *
 * Users:
 *   home     sidecar "echo" on a fake Ollama, auto targets: gpt-4o-mini
 *   away     no sidecar (what it sends goes to the cloud as "offline")
 */
import OpenAI from "openai";
import type { StatsReport, TargetReport } from "@hearth/shared";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic } from "../fakes/anthropic.js";
import type { FakeServer } from "../fakes/harness.js";
import { startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { traceOf } from "../support/chat.js";
import type { SidecarProcess } from "../support/sidecar.js";
import { startSidecars, stopSidecar } from "../support/sidecars.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

const OPENAI = "openai/gpt-4o-mini";
const HOME = "local/echo:latest";
/** USD per million tokens, round so the expected cost is plain arithmetic. */
const PRICE = { input: 1, output: 2 };

type User = Awaited<ReturnType<RunningWorker["createUser"]>>;

/** The JSON of GET /v1/stats, as the report builder types it. */
type Stats = StatsReport;
type Percentiles = NonNullable<TargetReport["window"]["ttft_ms"]>;

/** What the client saw of one request. */
interface Seen {
  target: string | undefined;
  trace: [string, string, string][];
  prompt: number;
  completion: number;
}

let openai: FakeServer;
let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let worker: RunningWorker;
let sidecars: SidecarProcess[] = [];
const users = {} as Record<"home" | "away", User>;

const clientOf = (u: User) => new OpenAI({ apiKey: u.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });

function statsCall(apiKey: string | undefined, method: "GET" | "DELETE" = "GET"): Promise<Response> {
  return fetch(`${worker.url}/v1/stats`, { method, headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
}

async function readStats(u: User): Promise<Stats> {
  const r = await statsCall(u.apiKey);
  expect(r.status).toBe(200);
  return (await r.json()) as Stats;
}

/** The user's stats once `total` requests are in (records arrive just after their responses). */
async function statsAfter(u: User, total: number, timeoutMs = 5_000): Promise<Stats> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await readStats(u);
    if (s.requests.total >= total || Date.now() > until) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A chat, streaming or not, reduced to what the client saw: who served, the trace and the usage. */
async function send(u: User, model: string, content: string, stream: boolean): Promise<Seen> {
  const messages = [{ role: "user" as const, content }];
  if (!stream) {
    const { data, response } = await clientOf(u).chat.completions.create({ model, messages, user: content }).withResponse();
    expect(data.choices[0]?.message.content).toContain(content);
    return { target: response.headers.get("x-hearth-target") ?? undefined, trace: traceOf(response.headers), prompt: data.usage?.prompt_tokens ?? 0, completion: data.usage?.completion_tokens ?? 0 };
  }
  const { data, response } = await clientOf(u)
    .chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } })
    .withResponse();
  let text = "";
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const chunk of data) {
    text += chunk.choices[0]?.delta.content ?? "";
    if (chunk.usage) usage = chunk.usage;
  }
  expect(text).toContain(content);
  expect(usage, "the stream's usage chunk").toBeDefined();
  return { target: response.headers.get("x-hearth-target") ?? undefined, trace: traceOf(response.headers), prompt: usage?.prompt_tokens ?? 0, completion: usage?.completion_tokens ?? 0 };
}

/** A request that every target refuses: the client gets an error and no usage. */
async function sendFailing(u: User, content: string): Promise<Seen> {
  openai.enqueue({ type: "status", status: 400, message: "bad request (scripted)" });
  const err = await clientOf(u)
    .chat.completions.create({ model: OPENAI, messages: [{ role: "user", content }] })
    .then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(OpenAI.BadRequestError);
  return { target: undefined, trace: [[OPENAI, "failed", "http_400"]], prompt: 0, completion: 0 };
}

const sum = (seen: readonly Seen[], f: (s: Seen) => number) => seen.reduce((n, s) => n + f(s), 0);
const costOf = (seen: readonly Seen[]) => (sum(seen, (s) => s.prompt) * PRICE.input + sum(seen, (s) => s.completion) * PRICE.output) / 1e6;

beforeAll(async () => {
  [openai, anthropic, ollama] = await Promise.all([startFakeOpenAI(), startFakeAnthropic(), startFakeOllama({ models: [{ name: "echo" }] })]);
  // Loaded already, as a warm Ollama's model is: home answers at once, never "loading".
  ollama.loaded.set("echo:latest", Date.now() + 600_000);
  worker = await startWorker({
    vars: {
      ...cloudVars(openai, anthropic),
      HEARTH_AUTO_TARGETS: OPENAI,
      HEARTH_PRICES: JSON.stringify({ [OPENAI]: PRICE }),
      // Home's scripted errors must not open its breaker for the requests after them.
      HEARTH_BREAKER_FAILURES: "1000",
    },
  });
  [users.home, users.away] = await Promise.all([worker.createUser("home"), worker.createUser("away")]);
  sidecars = await startSidecars([
    { workerUrl: worker.url, token: users.home.sidecarToken, apiKey: users.home.apiKey, ollama: ollama.url, args: ["--slots", "4", "--queue", "4", "--drain-seconds", "1"] },
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all(sidecars.map((s) => stopSidecar(s)));
  await worker?.stop();
  await Promise.all([openai?.close(), anthropic?.close(), ollama?.close()]);
});

beforeEach(async () => {
  openai.reset();
  for (const u of Object.values(users)) expect((await statsCall(u.apiKey, "DELETE")).status).toBe(204);
});

describe("GET /v1/stats", () => {
  it("adds up to the requests sent: counts, targets, reasons, tokens, cost, timings, the sidecar", async () => {
    const u = users.home;
    const home: Seen[] = [];
    for (const [i, stream] of [false, false, false, true, true].entries()) home.push(await send(u, "auto", `at home ${i}`, stream));
    const cloud: Seen[] = [];
    for (const [i, stream] of [false, false, true].entries()) cloud.push(await send(u, OPENAI, `in the cloud ${i}`, stream));
    const fellBack: Seen[] = [];
    for (const [i, stream] of [false, true].entries()) {
      ollama.enqueueChat({ type: "status", status: 500 });
      fellBack.push(await send(u, "auto", `home is broken ${i}`, stream));
    }
    const failed = [await sendFailing(u, "nobody answers")];
    const all = [...home, ...cloud, ...fellBack, ...failed];

    // The mix is what it says it is, as the client saw it.
    expect(home.map((s) => s.target)).toEqual(Array(5).fill(HOME));
    expect(cloud.map((s) => s.trace)).toEqual(Array(3).fill([[OPENAI, "served", "ok"]]));
    expect(fellBack.map((s) => s.trace)).toEqual(Array(2).fill([[HOME, "failed", "error"], [OPENAI, "served", "ok"]]));
    expect(all.every((s) => s.target === undefined || s.prompt > 0)).toBe(true);

    const s = await statsAfter(u, all.length);
    expect(s.object).toBe("hearth.stats");
    expect(s.requests).toEqual({ total: 11, served: 10, failed: 1, fell_back: 2, interrupted: 0 });
    expect(s.requests.served + s.requests.failed).toBe(s.requests.total);
    expect(Object.values(s.targets).reduce((n, t) => n + t.served, 0)).toBe(s.requests.served);
    expect(s.local_share).toBe(0.5);
    expect(s.fallbacks).toEqual({ error: 2, http_400: 1 });

    expect(s.targets[HOME]).toMatchObject({
      served: 5,
      failed: 2,
      skipped: 0,
      reasons: { error: 2 },
      prompt_tokens: sum(home, (x) => x.prompt),
      completion_tokens: sum(home, (x) => x.completion),
    });
    const inCloud = [...cloud, ...fellBack];
    expect(s.targets[OPENAI]).toMatchObject({
      served: 5,
      failed: 1,
      reasons: { http_400: 1 },
      prompt_tokens: sum(inCloud, (x) => x.prompt),
      completion_tokens: sum(inCloud, (x) => x.completion),
    });
    expect(s.tokens).toEqual({ prompt: sum(all, (x) => x.prompt), completion: sum(all, (x) => x.completion) });

    // Home's answers priced at the plan's cloud target (HEARTH_PRICES), the cloud's at their own.
    expect(s.cost.avoided_usd).toBeGreaterThan(0);
    expect(s.cost.avoided_usd).toBeCloseTo(costOf(home), 6);
    expect(s.cost.cloud_usd).toBeCloseTo(costOf(inCloud), 6);
    expect(s.targets[OPENAI]?.cost_usd).toBeCloseTo(costOf(inCloud), 6);
    expect(s.cost.unpriced_local_requests).toBe(0);

    // Timings: home's five answers and two failures are its window; the cloud's tries are its own.
    const homeWindow = s.targets[HOME]?.window;
    expect(homeWindow?.samples).toBe(7);
    expect(homeWindow?.error_rate).toBeCloseTo(2 / 7, 3);
    expect(homeWindow?.ttft_ms).toEqual({ p50: expect.any(Number), p90: expect.any(Number), p99: expect.any(Number) });
    const ttft = homeWindow?.ttft_ms as Percentiles;
    expect(ttft.p50).toBeGreaterThanOrEqual(0);
    expect(ttft.p50).toBeLessThanOrEqual(ttft.p90);
    expect(ttft.p90).toBeLessThanOrEqual(ttft.p99);
    expect(s.targets[OPENAI]?.window.samples).toBe(6);
    expect(s.targets[OPENAI]?.window.ttft_ms).not.toBeNull();

    expect(s.sidecars).toHaveLength(1);
    expect(s.sidecars[0]?.uptime_seconds).toBeGreaterThanOrEqual(0);
    expect(s.sidecars[0]?.models).toEqual(["echo:latest"]);
    expect(s.sidecars[0]?.breaker).toBe("closed");

    // Nothing more trickles in after the total was reached.
    await new Promise((r) => setTimeout(r, 200));
    expect((await readStats(u)).requests.total).toBe(11);
  });

  it("never contains prompt text", async () => {
    const marker = `zq-marker-${Math.random().toString(36).slice(2)}`;
    const u = users.home;
    await send(u, "auto", `${marker} home`, false);
    await send(u, "auto", `${marker} home streamed`, true);
    await send(u, OPENAI, `${marker} cloud`, true);
    ollama.enqueueChat({ type: "status", status: 500 });
    await send(u, "auto", `${marker} fell back`, false);
    await sendFailing(u, `${marker} failed`);
    const s = await statsAfter(u, 5);
    expect(s.requests.total).toBe(5);
    expect(JSON.stringify(s)).not.toContain(marker);
  });

  it("is per user: one user's requests never show in another's", async () => {
    await send(users.home, "auto", "mine", false);
    await send(users.home, OPENAI, "mine too", false);
    const away = await send(users.away, "auto", "someone else's", false);
    expect(away.trace).toEqual([["local", "skipped", "offline"], [OPENAI, "served", "ok"]]);

    const [home, other] = await Promise.all([statsAfter(users.home, 2), statsAfter(users.away, 1)]);
    expect(home.requests).toEqual({ total: 2, served: 2, failed: 0, fell_back: 0, interrupted: 0 });
    expect(other.requests).toEqual({ total: 1, served: 1, failed: 0, fell_back: 1, interrupted: 0 });
    expect(other.fallbacks).toEqual({ offline: 1 });
    expect(other.local_share).toBe(0);
    expect(other.targets[HOME]).toBeUndefined();
    expect(other.targets[OPENAI]).toMatchObject({ served: 1, prompt_tokens: away.prompt, completion_tokens: away.completion });
    expect(other.sidecars).toEqual([]);
    expect(home.fallbacks).toEqual({});
    expect(home.local_share).toBe(0.5);
    expect(home.sidecars).toHaveLength(1);
  });

  it("DELETE starts afresh: 204, then zeros from a new `since`", async () => {
    const u = users.home;
    await send(u, "auto", "before the reset", false);
    const before = await statsAfter(u, 1);
    expect(before.requests.total).toBe(1);

    const r = await statsCall(u.apiKey, "DELETE");
    expect(r.status).toBe(204);
    expect(await r.text()).toBe("");
    const after = await readStats(u);
    expect(after.requests).toEqual({ total: 0, served: 0, failed: 0, fell_back: 0, interrupted: 0 });
    expect(after.tokens).toEqual({ prompt: 0, completion: 0 });
    expect(after.targets).toEqual({});
    expect(after.fallbacks).toEqual({});
    expect(after.cost).toEqual({ avoided_usd: 0, cloud_usd: 0, unpriced_local_requests: 0 });
    expect(after.local_share).toBe(0);
    expect(Date.parse(after.since)).toBeGreaterThanOrEqual(Date.parse(before.since));
    // The sidecar is still connected: that is not a statistic.
    expect(after.sidecars).toHaveLength(1);

    await send(u, "auto", "after the reset", false);
    expect((await statsAfter(u, 1)).requests.total).toBe(1);
  });

  // [case, API key, method, error code]
  it.each([
    ["no API key", undefined, "GET", "missing_api_key"],
    ["a wrong API key", "hk_not-a-real-key", "GET", "invalid_api_key"],
    ["no API key, DELETE", undefined, "DELETE", "missing_api_key"],
    ["a wrong API key, DELETE", "hk_not-a-real-key", "DELETE", "invalid_api_key"],
  ] as const)("%s: 401 with an OpenAI-style error", async (_, key, method, code) => {
    const r = await statsCall(key, method);
    expect(r.status).toBe(401);
    expect(r.headers.get("content-type")).toMatch(/application\/json/);
    const body = (await r.json()) as { error: { message: string; type: string; code: string; param: null } };
    expect(body.error).toMatchObject({ type: "authentication_error", code, param: null });
    expect(body.error.message).toEqual(expect.any(String));
  });

  it("a sidecar token is not an API key", async () => {
    const r = await statsCall(users.home.sidecarToken);
    expect(r.status).toBe(401);
  });
});

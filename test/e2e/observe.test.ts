/**
 * Seeing what Hearth does, end to end on `wrangler dev` with a real sidecar on the fake Ollama and the
 * fake OpenAI: the time series (GET /v1/stats/series), health (GET /v1/health, GET /admin/health) and
 * the live feed (GET /v1/live, a WebSocket read with the `ws` client).
 */
import type { SeriesPoint } from "@hearth/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { FakeServer } from "../fakes/harness.js";
import { startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import type { SidecarProcess } from "../support/sidecar.js";
import { startSidecars, stopSidecar } from "../support/sidecars.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

const OPENAI = "openai/gpt-4o-mini";
const HOME = "local/echo:latest";
const PRICE = { input: 1, output: 2 };

type User = Awaited<ReturnType<RunningWorker["createUser"]>>;

interface Series {
  range: string;
  step_s: number;
  from: number;
  to: number;
  targets: string[];
  points: SeriesPoint[];
}
interface Health {
  status: string;
  checks: { name: string; status: string; reason: string }[];
  sidecars: { id: string; models: string[]; last_seen: string | null; draining: boolean }[];
  budget: { state: string };
}

let openai: FakeServer;
let ollama: FakeOllama;
let worker: RunningWorker;
let sidecars: SidecarProcess[] = [];
let home: User;
let away: User;

const auth = (u: User) => ({ authorization: `Bearer ${u.apiKey}` });

function chat(u: User, model: string, content: string): Promise<Response> {
  return fetch(`${worker.url}/v1/chat/completions`, {
    method: "POST",
    headers: { ...auth(u), "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content }] }),
  });
}

async function get<T>(u: User | undefined, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const r = await fetch(`${worker.url}${path}`, { headers: { ...(u ? auth(u) : {}), ...headers } });
  return { status: r.status, body: (await r.json()) as T };
}

const statusOf = (h: Health, name: string) => h.checks.find((c) => c.name === name)?.status;

beforeAll(async () => {
  [openai, ollama] = await Promise.all([startFakeOpenAI(), startFakeOllama({ models: [{ name: "echo" }] })]);
  ollama.loaded.set("echo:latest", Date.now() + 600_000);
  worker = await startWorker({
    vars: {
      ...cloudVars(openai),
      HEARTH_AUTO_TARGETS: OPENAI,
      HEARTH_PRICES: JSON.stringify({ [OPENAI]: PRICE }),
      // Unreadable on purpose: ignored (no deployment budget), and /admin/health says so.
      HEARTH_BUDGET_DAILY_USD: "ten dollars",
    },
  });
  [home, away] = await Promise.all([worker.createUser("home"), worker.createUser("away")]);
  sidecars = await startSidecars([{ workerUrl: worker.url, token: home.sidecarToken, apiKey: home.apiKey, ollama: ollama.url }]);
}, 120_000);

afterAll(async () => {
  await Promise.all(sidecars.map((s) => stopSidecar(s)));
  await worker?.stop();
  await Promise.all([openai?.close(), ollama?.close()]);
});

describe("GET /v1/stats/series", () => {
  it("counts what happened in the last hour, every minute a point, empty ones zero", async () => {
    for (const content of ["one at home", "two at home"]) expect((await chat(home, "auto", content)).headers.get("x-hearth-target")).toBe(HOME);
    const cloud = await chat(home, OPENAI, "one in the cloud");
    const usage = ((await cloud.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
    openai.enqueue({ type: "status", status: 400, message: "bad request (scripted)" });
    expect((await chat(home, OPENAI, "one refused")).status).toBe(400);

    let series: Series | undefined;
    const until = Date.now() + 5_000;
    const sum = (s: Series, f: (p: SeriesPoint) => number) => s.points.reduce((n, p) => n + f(p), 0);
    do {
      const r = await get<Series>(home, "/v1/stats/series?range=1h");
      expect(r.status).toBe(200);
      series = r.body;
      if (sum(series, (p) => p.local + p.cloud + p.failed) >= 4) break;
      await new Promise((res) => setTimeout(res, 50));
    } while (Date.now() < until);
    const s = series as Series;
    expect(s).toMatchObject({ range: "1h", step_s: 60 });
    expect(s.points).toHaveLength(60);
    expect(s.to - s.from).toBe(3600);
    expect(s.points.map((p) => p.t)).toEqual(Array.from({ length: 60 }, (_, i) => s.from + i * 60));
    expect(s.targets).toEqual([HOME, OPENAI]);
    expect(sum(s, (p) => p.local)).toBe(2);
    expect(sum(s, (p) => p.cloud)).toBe(1);
    expect(sum(s, (p) => p.requests[HOME] ?? 0)).toBe(2);
    expect(sum(s, (p) => p.errors)).toBe(1);
    expect(sum(s, (p) => p.error_codes.upstream_error ?? 0)).toBe(1);
    expect(sum(s, (p) => p.spend_usd)).toBeCloseTo((usage.prompt_tokens * PRICE.input + usage.completion_tokens * PRICE.output) / 1e6, 9);
    expect(sum(s, (p) => p.avoided_usd)).toBeGreaterThan(0);
    const withTtft = s.points.filter((p) => p.ttft_ms[HOME]);
    expect(withTtft.reduce((n, p) => n + (p.ttft_ms[HOME]?.n ?? 0), 0)).toBe(2);
    // The minutes with nothing are there, at zero.
    const empty = s.points.filter((p) => p.local + p.cloud + p.failed === 0);
    expect(empty.length).toBeGreaterThanOrEqual(56);
    expect(empty[0]).toMatchObject({ requests: {}, errors: 0, spend_usd: 0, tokens: { prompt: 0, completion: 0 }, ttft_ms: {}, fallbacks: {} });

    const day = await get<Series>(home, "/v1/stats/series?range=24h&step=3600");
    expect(day.body.points).toHaveLength(24);
    expect(day.body.points.reduce((n, p) => n + p.local, 0)).toBe(2);
  });

  it("a bad range or step is a 400 naming the field", async () => {
    const bad = await get<{ error: { param: string; code: string } }>(home, "/v1/stats/series?range=forever");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ param: "range", code: "invalid_request" });
    expect((await get<{ error: { param: string } }>(home, "/v1/stats/series?range=1y&step=60")).body.error.param).toBe("step");
    expect((await get(undefined, "/v1/stats/series")).status).toBe(401);
  });
});

describe("health", () => {
  it("GET /v1/health: a connected sidecar with its models, providers, breakers, budget", async () => {
    const { status, body } = await get<Health>(home, "/v1/health");
    expect(status).toBe(200);
    expect(body.status).toBe("ok");
    expect(body.checks.map((c) => c.name)).toEqual(["sidecars", "breakers", "budget", "provider:openai", "provider:anthropic"]);
    expect(body.checks.every((c) => c.status === "ok" && c.reason.length > 0)).toBe(true);
    expect(body.sidecars).toHaveLength(1);
    expect(body.sidecars[0]).toMatchObject({ models: [HOME], draining: false });
    expect(body.sidecars[0]?.last_seen).not.toBeNull();
    expect(body.budget.state).toBe("none");
    expect(body.checks.find((c) => c.name === "provider:openai")?.reason).toMatch(/API key present; 50% of the last 2 requests failed/);
  });

  it("GET /v1/health without a sidecar: a warning, the cloud covers", async () => {
    const { body } = await get<Health>(away, "/v1/health");
    expect(body.status).toBe("warn");
    expect(statusOf(body, "sidecars")).toBe("warn");
    expect(body.checks.find((c) => c.name === "sidecars")?.reason).toMatch(/no sidecar connected: the cloud answers/);
    expect((await get(undefined, "/v1/health")).status).toBe(401);
  });

  it("GET /admin/health: D1, providers, vars, users — behind the admin token", async () => {
    expect((await get(undefined, "/admin/health")).status).toBe(401);
    const { status, body } = await get<Health & { users: number }>(undefined, "/admin/health", { authorization: `Bearer ${worker.adminToken}` });
    expect(status).toBe(200);
    expect(body.users).toBeGreaterThanOrEqual(2);
    expect(statusOf(body, "d1")).toBe("ok");
    expect(body.checks.find((c) => c.name === "d1")?.reason).toMatch(/SELECT 1 in \d+ ms/);
    expect(statusOf(body, "provider:openai")).toBe("ok");
    expect(statusOf(body, "provider:anthropic")).toBe("ok");
    expect(statusOf(body, "vars")).toBe("warn");
    expect(body.checks.find((c) => c.name === "vars")?.reason).toMatch(/HEARTH_BUDGET_DAILY_USD is unreadable/);
    expect(body.status).toBe("warn");
    // Liveness stays public.
    expect((await fetch(`${worker.url}/healthz`)).status).toBe(200);
  });
});

/** A live socket and the JSON messages it has received so far. */
async function openLive(headers: Record<string, string>, query = ""): Promise<{ ws: WebSocket; messages: Record<string, unknown>[]; next(pred: (m: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>> }> {
  const ws = new WebSocket(`${worker.url.replace(/^http/, "ws")}/v1/live${query}`, { headers });
  const messages: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  ws.on("message", (data) => {
    messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
  const next = (pred: (m: Record<string, unknown>) => boolean, ms = 5_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching live message within ${ms} ms; got ${JSON.stringify(messages)}`)), ms);
      const look = () => {
        const m = messages.find(pred);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        } else waiters.push(look);
      };
      look();
    });
  return { ws, messages, next };
}

describe("GET /v1/live", () => {
  it("pushes each finished request within a second, with no prompt text", async () => {
    const live = await openLive(auth(home));
    await live.next((m) => m.type === "hello");
    const secret = "the prompt text must never reach the live feed";
    const sentAt = Date.now();
    const r = await chat(home, "auto", secret);
    expect(r.status).toBe(200);
    await r.text();
    const answeredAt = Date.now();
    const m = await live.next((x) => x.type === "request", 3_000);
    const latency = Date.now() - sentAt;
    expect(latency).toBeLessThan(1_500);
    // The record waits up to 0.2 s in the isolate to be batched (chat/record.ts), then goes to the hub.
    console.log(`live push: request sent → pushed ${latency} ms, answer read → pushed ${Date.now() - answeredAt} ms`);
    expect(m).toMatchObject({ type: "request", served: HOME, first: HOME, outcome: "ok", error: null, fallbacks: [], stream: false, kind: expect.any(String) });
    expect(m.ttft_ms).toEqual(expect.any(Number));
    expect(m.prompt_tokens).toBeGreaterThan(0);
    expect(m.completion_tokens).toBeGreaterThan(0);
    expect(JSON.stringify(live.messages)).not.toContain("prompt text");
    // A failed request, with what was passed over.
    openai.enqueue({ type: "status", status: 500, message: "down (scripted)" }, { type: "status", status: 500, message: "down" }, { type: "status", status: 500, message: "down" });
    await (await chat(home, OPENAI, "fails")).text();
    const failed = await live.next((x) => x.type === "request" && x.outcome === "failed", 3_000);
    expect(failed).toMatchObject({ served: null, error: "upstream_error", fallbacks: [{ target: OPENAI, reason: expect.any(String) }] });
    live.ws.close();
  });

  it("is refused without credentials, and a key in the query string is no credential", async () => {
    await expect(openLive({})).rejects.toThrow("HTTP 401");
    await expect(openLive({}, `?api_key=${home.apiKey}`)).rejects.toThrow("HTTP 401");
    const plain = await fetch(`${worker.url}/v1/live`, { headers: auth(home) });
    expect(plain.status).toBe(426);
  });

  it("is closed when its user is deleted", async () => {
    const gone = await worker.createUser("deleted-later");
    const live = await openLive(auth(gone));
    await live.next((m) => m.type === "hello");
    expect((await worker.admin("DELETE", `/users/${gone.id}`)).status).toBe(200);
    // The hub's close frame puts the socket in CLOSING at once; wrangler dev's proxy holds the TCP
    // connection (and so ws's "close" event) for ~10 s more, so the state is what is awaited.
    const until = Date.now() + 3_000;
    while (live.ws.readyState === WebSocket.OPEN && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(live.ws.readyState).not.toBe(WebSocket.OPEN);
    live.ws.terminate();
  });

  it("pushes the sidecar draining, going away and connecting again", async () => {
    const live = await openLive(auth(home));
    await live.next((m) => m.type === "hello");
    await Promise.all(sidecars.map((s) => stopSidecar(s)));
    const gone = await live.next((m) => m.type === "home" && m.event === "disconnected", 10_000);
    expect(gone.sidecar).toMatchObject({ id: expect.any(String) });
    expect(live.messages.some((m) => m.type === "home" && m.event === "draining")).toBe(true);
    sidecars = await startSidecars([{ workerUrl: worker.url, token: home.sidecarToken, apiKey: home.apiKey, ollama: ollama.url }]);
    const back = await live.next((m) => m.type === "home" && m.event === "connected", 10_000);
    expect(back.sidecar).toMatchObject({ models: [HOME], draining: false, breaker: "closed" });
    live.ws.close();
  }, 40_000);
});

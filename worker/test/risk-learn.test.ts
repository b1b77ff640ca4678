/**
 * Learning the home-risk estimate from this user's own home (inside workerd, real Durable Object and
 * D1): home answers that fail — through the Worker's real request path, and as records the hub
 * receives — move that home model's learned shift; explain shows it with its evidence; what is not an
 * answer of home's teaches nothing; the tally survives a fresh store on the same storage and is
 * forgotten with the stats.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { addOutcome, EMPTY_TALLY, offsetFrom, type AttemptSummary, type RequestRecord, type SidecarState, type WorkerFrame } from "@hearth/shared";
import { afterEach, describe, expect, it } from "vitest";
import { RiskStore } from "../src/hub/planning/risk-store.js";
import type { RouteCall } from "../src/hub-client/types.js";
import { call, chat, newUser } from "./helpers.js";

const MODEL = "qwen2.5:7b";
const ASK = { model: "auto", messages: [{ role: "user", content: "What is the capital of France?" }] };

interface HomeRisk {
  value: number;
  logit: number;
  learned_shift: number;
  evidence: string[];
}

const sockets: WebSocket[] = [];
afterEach(() => {
  for (const ws of sockets.splice(0)) ws.close(1000);
});

/** A sidecar with one model that answers every request with a backend error. */
async function failingHome(token: string): Promise<{ requests: number }> {
  const r = await call("/v1/sidecar/connect", { headers: { upgrade: "websocket", authorization: `Bearer ${token}` } });
  const ws = r.webSocket;
  if (!ws) throw new Error(`no webSocket (${r.status})`);
  ws.accept();
  sockets.push(ws);
  const seen = { requests: 0 };
  const state: SidecarState = {
    models: [{ id: MODEL, backend: "ollama", contextLength: 8192, loaded: true, tools: false, tokensPerSecond: 0 }],
    slots: { total: 2, free: 2 },
    queue: { depth: 0, max: 2 },
    loading: [],
    freeMemoryBytes: 1e9,
    draining: false,
  };
  ws.addEventListener("message", (e) => {
    const f = JSON.parse(String(e.data)) as WorkerFrame;
    if (f.t === "welcome") ws.send(JSON.stringify({ t: "hello", v: 1, sidecarId: "pc", state }));
    if (f.t === "request") {
      seen.requests++;
      ws.send(JSON.stringify({ t: "error", id: f.id, seq: 0, code: "backend_error", message: "the model crashed" }));
    }
  });
  return seen;
}

const hub = (userId: string) => env.SIDECAR_HUB.get(env.SIDECAR_HUB.idFromName(userId));

/** The hub's plan for a request with this risk logit (its own RPC: no rate limit, no Worker). */
async function hubRisk(userId: string, homeRiskLogit: number) {
  const c: RouteCall = {
    model: "auto",
    features: { kind: "chat", complexity: 0.1, promptTokens: 10, reserveTokens: 256, tools: false, images: false, json: false, metadata: {}, homeRiskLogit },
    policy: {},
    privateRequest: false,
    deploymentAutoTargets: [],
    configured: ["local"],
    deadlines: { cloudMs: 30_000, localMs: 10_000 },
  };
  return (await hub(userId).route(c)).plan.risk;
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 150; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("condition not reached");
}

async function explainRisk(key: string): Promise<HomeRisk> {
  const r = await call("/v1/route/explain", { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(ASK) });
  expect(r.status).toBe(200);
  return ((await r.json()) as { features: { home_risk: HomeRisk } }).features.home_risk;
}

const record = (trace: AttemptSummary[], riskLogit: number | undefined, at = Date.now()): RequestRecord => ({
  at,
  kind: "chat",
  rule: undefined,
  served: trace.find((t) => t.outcome === "served")?.target,
  error: trace.some((t) => t.outcome === "served") ? undefined : "no_target_available",
  promptTokens: 10,
  completionTokens: 0,
  trace,
  reference: undefined,
  first: trace[0]?.target,
  stream: false,
  totalMs: 50,
  ...(riskLogit !== undefined ? { riskLogit } : {}),
});
const failed = (reason: string, outcome: AttemptSummary["outcome"] = "failed"): AttemptSummary => ({ target: `local/${MODEL}`, outcome, reason });

describe("the risk estimate learns from this user's home", () => {
  it("failed home answers move that model's estimate up, and explain says so", async () => {
    const u = await newUser("risk-learn");
    const home = await failingHome(u.sidecarToken);
    await until(async () => (await hub(u.id).snapshot()).sidecars.length, (n) => n === 1);

    const before = await explainRisk(u.apiKey);
    expect(before.learned_shift).toBe(0);
    expect(before.evidence.join(" ")).not.toMatch(/learned/);

    // Two real requests: home fails them (no cloud keys here: 502, home's error), their records reach the hub.
    for (let i = 0; i < 2; i++) {
      const r = await chat(u.apiKey, ASK);
      expect(r.status).toBe(502);
      expect(r.headers.get("x-hearth-trace")).toMatch(new RegExp(`^local/${MODEL.replace(".", "\\.")};outcome=failed;reason=error`));
    }
    expect(home.requests).toBe(2);
    const learned = await until(() => hubRisk(u.id, before.logit), (r) => (r?.offsetSamples ?? 0) >= 2);
    expect(learned?.offsetFailed).toBe(learned?.offsetSamples);

    // Eight more failed answers arrive as records: a timeout, a stall, a broken stream, a failed check…
    const reasons: [string, AttemptSummary["outcome"]][] = [["timeout", "failed"], ["idle_timeout", "broken"], ["disconnected", "broken"], ["invalid_answer", "failed"], ["invalid_answer", "broken"], ["error", "failed"], ["timeout", "failed"], ["invalid_answer", "failed"]];
    // …and records that are no answer of home's: passed over, busy, no estimate (an embedding).
    const noise = [record([failed("offline", "skipped")], -1), record([failed("overloaded")], -1), record([failed("error")], undefined)];
    await hub(u.id).record(JSON.stringify([...reasons.map(([reason, outcome]) => record([failed(reason, outcome)], before.logit)), ...noise]));

    const after = await explainRisk(u.apiKey);
    // What learn.ts makes of ten failures where σ(logit) was predicted (home's 7B size shifts nothing).
    let tally = EMPTY_TALLY;
    for (let i = 0; i < 10; i++) tally = addOutcome(tally, 1 / (1 + Math.exp(-before.logit)), true);
    expect(after.learned_shift).toBeCloseTo(offsetFrom(tally).logit, 2);
    expect(after.learned_shift).toBeGreaterThan(0.3);
    expect(after.value).toBeGreaterThan(before.value);
    expect(after.logit).toBeCloseTo(before.logit + after.learned_shift, 2);
    const line = after.evidence.find((e) => e.startsWith("learned for"));
    // 10 outcomes, decayed a little (0.995 each): 9.8 of them, all failed.
    expect(line).toMatch(new RegExp(`^learned for ${MODEL.replace(".", "\\.")} from 9\\.8 home answers \\(9\\.8 failed\\) \\+\\d\\.\\d\\d$`));
  });

  it("served answers bring it down; the tally survives a fresh store and is forgotten with the stats", async () => {
    const stub = hub("risk-store-test");
    await runInDurableObject(stub, async (_obj, state) => {
      const a = new RiskStore(state.storage);
      await a.load();
      const served = (m: string): AttemptSummary => ({ target: `local/${m}`, outcome: "served", reason: "ok" });
      // 40 clean answers where the estimate said 0.5 (logit 0, size unknown): home is better than predicted.
      a.add(Array.from({ length: 40 }, () => record([served("mystery")], 0)), () => undefined);
      // A 70B home's prediction is lower (size shift): the same failures teach it more.
      a.add([record([{ target: "local/big", outcome: "failed", reason: "error" }], 0)], () => 70);
      const offsets = a.offsets();
      expect(offsets["mystery"]?.logit).toBeLessThan(-0.5);
      expect(offsets["mystery"]?.failed).toBe(0);
      expect(offsets["big"]?.logit).toBeGreaterThan(0);
      await a.flush();

      const b = new RiskStore(state.storage);
      await b.load();
      expect(b.offsets()).toEqual(offsets);

      await b.reset();
      const c = new RiskStore(state.storage);
      await c.load();
      expect(c.offsets()).toEqual({});
    });
  });

  it("DELETE /v1/stats forgets what home taught", async () => {
    const u = await newUser("risk-reset");
    const stub = hub(u.id);
    const rows = () => runInDurableObject(stub, async (_obj, state) => (await state.storage.list({ prefix: "risk:" })).size);
    await stub.record(JSON.stringify([record([failed("error")], 0), record([failed("timeout")], 0)]));
    // Written within WRITE_DELAY_MS, unconfirmed: one row for the model.
    await until(rows, (n) => n === 1);
    const r = await call("/v1/stats", { method: "DELETE", headers: { authorization: `Bearer ${u.apiKey}` } });
    expect(r.status).toBeLessThan(300);
    expect(await rows()).toBe(0);
  });
});

/**
 * Cloud budgets end to end: real `wrangler dev`, the fake OpenAI as the cloud (priced so that one
 * token costs a cent: plain arithmetic), a real sidecar on a paced fake Ollama as home.
 *
 * - `refuse`: the first answer passes the estimate and overshoots the daily limit (the fake answers
 *   longer than max_tokens, as no real provider does); from then on the cloud is refused: 429
 *   budget_exceeded, trace reason=budget, retry-after until midnight UTC; stats show the spend.
 * - `home_only`: the policy's cloud_only is overridden — home answers; with no home, 503
 *   budget_exceeded_home_unavailable.
 * - A burst of concurrent requests stays within the limit when each request's estimate covers its
 *   answer (max_tokens): the reservations in the hub are what stops the burst. When answers run past
 *   their max_tokens, the overshoot is at most what they took beyond their estimates. The figures are
 *   printed (`budget burst: …`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeServer } from "../fakes/harness.js";
import { startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { traceOf } from "../support/chat.js";
import type { SidecarProcess } from "../support/sidecar.js";
import { startSidecars, stopSidecar } from "../support/sidecars.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

const OPENAI = "openai/gpt-4o-mini";
/** USD per million tokens: 0.01 USD a token. */
const PRICE = { input: 10_000, output: 10_000 };
const HOME = "local/echo:latest";

type User = Awaited<ReturnType<RunningWorker["createUser"]>>;

interface Budget {
  state: string;
  on_exceeded: string;
  reserved_usd: number;
  day: { spent_usd: number; limit_usd: number | null; remaining_usd: number | null; resets_at: string };
  month: { spent_usd: number; limit_usd: number | null };
}

let openai: FakeServer;
let ollama: FakeOllama;
let worker: RunningWorker;
let sidecars: SidecarProcess[] = [];

function chat(u: User, content: string, extra: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${worker.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${u.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "auto", messages: [{ role: "user", content }], ...extra }),
  });
}

/** The cost of an answer from its usage, at PRICE. */
async function costOf(r: Response): Promise<number> {
  const body = (await r.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
  return (body.usage.prompt_tokens * PRICE.input + body.usage.completion_tokens * PRICE.output) / 1e6;
}

/** The stats' budget section once the spend has reached `spent` (records reach the hub just after the answer). */
async function budgetOf(u: User, spent = 0): Promise<Budget> {
  const until = Date.now() + 5_000;
  for (;;) {
    const r = await fetch(`${worker.url}/v1/stats`, { headers: { authorization: `Bearer ${u.apiKey}` } });
    expect(r.status).toBe(200);
    const { budget } = (await r.json()) as { budget: Budget };
    if (budget.day.spent_usd >= spent - 1e-9 || Date.now() > until) return budget;
    await new Promise((res) => setTimeout(res, 50));
  }
}

beforeAll(async () => {
  [openai, ollama] = await Promise.all([startFakeOpenAI(), startFakeOllama({ models: [{ name: "echo", firstTokenMs: 150, tokensPerSecond: 200 }] })]);
  ollama.loaded.set("echo:latest", Date.now() + 600_000);
  worker = await startWorker({
    vars: {
      ...cloudVars(openai),
      HEARTH_AUTO_TARGETS: OPENAI,
      HEARTH_PRICES: JSON.stringify({ [OPENAI]: PRICE }),
      // The deployment's monthly limit applies beside each user's own (stricter) daily one.
      HEARTH_BUDGET_MONTHLY_USD: "1000",
    },
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(sidecars.map((s) => stopSidecar(s)));
  await worker?.stop();
  await Promise.all([openai?.close(), ollama?.close()]);
});

describe("a budget with onExceeded: refuse", () => {
  it("refuses the cloud once the day's spend is reached: 429 budget_exceeded, reason=budget, stats show it", async () => {
    const u = await worker.createUser("refuse", { mode: "cloud_only", budget: { dailyUsd: 0.25, onExceeded: "refuse" } });
    // ~15 prompt tokens and 1 answer token estimated: within the limit. Answered with an echo of it: over.
    const first = await chat(u, "a question that costs less than the limit, answered with more", { max_tokens: 1 });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-hearth-target")).toBe(OPENAI);
    const spent = await costOf(first);
    expect(spent).toBeGreaterThan(0.25);

    const before = await budgetOf(u, spent);
    expect(before).toMatchObject({ state: "exceeded", on_exceeded: "refuse", reserved_usd: 0, day: { limit_usd: 0.25, remaining_usd: 0 }, month: { limit_usd: 1000 } });
    expect(before.day.spent_usd).toBeCloseTo(spent, 6);
    expect(before.month.spent_usd).toBeCloseTo(spent, 6);

    const calls = openai.requests.length;
    const refused = await chat(u, "and another");
    expect(refused.status).toBe(429);
    const err = (await refused.json()) as { error: { code: string; type: string } };
    expect(err.error.code).toBe("budget_exceeded");
    expect(traceOf(refused.headers)).toEqual([[OPENAI, "skipped", "budget"]]);
    const retryAfter = Number(refused.headers.get("retry-after"));
    const midnight = Date.parse(before.day.resets_at);
    expect(Math.abs(Date.now() + retryAfter * 1000 - midnight)).toBeLessThan(5_000);
    expect(openai.requests.length, "the cloud was not called").toBe(calls);

    // explain shows the same decision without running it.
    const explained = await fetch(`${worker.url}/v1/route/explain`, {
      method: "POST",
      headers: { authorization: `Bearer ${u.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "auto", messages: [{ role: "user", content: "hi" }] }),
    });
    const plan = (await explained.json()) as { skipped: { target: string; reason: string }[]; notes: string[]; budget: { on_exceeded: string } | null };
    expect(plan.budget).toMatchObject({ on_exceeded: "refuse" });
    expect(plan.skipped).toContainEqual(expect.objectContaining({ target: OPENAI, reason: "budget" }));
    expect(plan.notes.join(" ")).toMatch(/budget/);

    // A named cloud model is refused too (planned in the hub once a budget is set).
    const named = await chat(u, "named", { model: OPENAI });
    expect(named.status).toBe(429);
    expect(traceOf(named.headers)).toEqual([[OPENAI, "skipped", "budget"]]);
  });
});

describe("a budget with onExceeded: home_only", () => {
  it("sends cloud_only requests home once reached; without a home, 503 budget_exceeded_home_unavailable", async () => {
    const budget = { dailyUsd: 0.25 };
    const u = await worker.createUser("home-only", { budget });
    sidecars = await startSidecars([{ workerUrl: worker.url, token: u.sidecarToken, apiKey: u.apiKey, ollama: ollama.url }]);
    // cloud_only once the sidecar is listed (a cloud_only user's model list has no home models to wait for).
    expect((await worker.admin("PUT", `/users/${u.id}/policy`, { mode: "cloud_only", budget })).status).toBe(200);
    const first = await chat(u, "a question that costs less than the limit, answered with more", { max_tokens: 1 });
    expect(first.headers.get("x-hearth-target")).toBe(OPENAI);
    await budgetOf(u, await costOf(first));

    const home = await chat(u, "now home answers");
    expect(home.status).toBe(200);
    expect(home.headers.get("x-hearth-target")).toBe(HOME);
    expect(traceOf(home.headers)).toEqual([
      [OPENAI, "skipped", "budget"],
      [HOME, "served", "ok"],
    ]);
    expect(((await home.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toContain("now home answers");
    expect((await budgetOf(u)).state).toBe("exceeded");

    const away = await worker.createUser("home-only-away", { budget });
    const paid = await chat(away, "a question that costs less than the limit, answered with more", { max_tokens: 1 });
    expect(paid.headers.get("x-hearth-target")).toBe(OPENAI);
    await budgetOf(away, await costOf(paid));
    const refused = await chat(away, "and now nobody can");
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("budget_exceeded_home_unavailable");
    expect(traceOf(refused.headers)).toEqual([
      ["local", "skipped", "offline"],
      [OPENAI, "skipped", "budget"],
    ]);
    expect(refused.headers.get("retry-after")).toBe("10");
  }, 60_000);
});

describe("a burst of concurrent requests", () => {
  it("stays within the limit when each estimate covers its answer: the hub's reservations stop it", async () => {
    const LIMIT = 2;
    const N = 20;
    const u = await worker.createUser("burst", { mode: "cloud_only", budget: { dailyUsd: LIMIT, onExceeded: "refuse" } });
    // "Echo: burst request NN" is 6 answer tokens; max_tokens 20 covers it.
    const results = await Promise.all(Array.from({ length: N }, (_, i) => chat(u, `burst request ${String(i).padStart(2, "0")}`, { max_tokens: 20 })));
    const served = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    expect(served.length + refused.length).toBe(N);
    let spent = 0;
    for (const r of served) spent += await costOf(r);
    for (const r of refused) expect(((await r.json()) as { error: { code: string } }).error.code).toBe("budget_exceeded");
    const budget = await budgetOf(u, spent);
    expect(budget.day.spent_usd).toBeCloseTo(spent, 6);
    expect(budget.reserved_usd).toBe(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(LIMIT);
    console.log(`budget burst: ${N} concurrent requests, limit ${LIMIT} USD: ${served.length} served, ${refused.length} refused, spent ${spent.toFixed(2)} USD (${((spent / LIMIT) * 100).toFixed(0)}% of the limit)`);
  });

  it("overshoots by at most what the answers took beyond their estimates (max_tokens)", async () => {
    const LIMIT = 5;
    const N = 20;
    const u = await worker.createUser("burst-under", { mode: "cloud_only", budget: { dailyUsd: LIMIT, onExceeded: "refuse" } });
    // max_tokens 1, answered with an echo of the ~50-token prompt (the fake ignores max_tokens; no real provider does).
    const prompt = (i: number) => `burst request ${String(i).padStart(2, "0")} ${"with a long tail ".repeat(11)}`;
    const results = await Promise.all(Array.from({ length: N }, (_, i) => chat(u, prompt(i), { max_tokens: 1 })));
    let spent = 0;
    let beyond = 0;
    let served = 0;
    for (const r of results) {
      if (r.status !== 200) continue;
      served++;
      const { usage } = (await r.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
      spent += ((usage.prompt_tokens + usage.completion_tokens) * PRICE.output) / 1e6;
      beyond += ((usage.completion_tokens - 1) * PRICE.output) / 1e6;
    }
    expect((await budgetOf(u, spent)).day.spent_usd).toBeCloseTo(spent, 6);
    // Within the bound: the limit plus what answers took beyond their estimate (and a token of prompt estimate each).
    expect(spent).toBeLessThanOrEqual(LIMIT + beyond + (served * PRICE.input) / 1e6 + 1e-9);
    // And it did overshoot: the estimates let in requests whose answers cost more (what the bound is about).
    expect(spent).toBeGreaterThan(LIMIT);
    expect(served).toBeLessThan(N);
    console.log(`budget burst, answers longer than estimated: ${N} concurrent, limit ${LIMIT} USD: ${served} served, spent ${spent.toFixed(2)} USD (${((spent / LIMIT) * 100).toFixed(0)}%), answers beyond their estimates ${beyond.toFixed(2)} USD`);
  });
});

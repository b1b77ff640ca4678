/**
 * The budget's ledger and reservations on a real Durable Object's storage: a reservation counts against
 * what is left until its record arrives (then the real cost is charged), or until it expires; both
 * survive the object being rebuilt (hibernation, a deploy).
 */
import { env, runInDurableObject } from "cloudflare:test";
import { effectiveBudget, plan, type CostEstimate, type ProviderId, type RequestRecord } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import { BudgetStore } from "../src/hub/planning/budget-store.js";

const MINI = "openai/gpt-4o-mini";
const PRICES = { [MINI]: { input: 1_000, output: 1_000 } }; // 0.001 USD a token
const EST: CostEstimate = { prices: PRICES, promptTokens: 100, completionTokens: 100 }; // 0.2 USD
const NOW = Date.UTC(2026, 10, 27, 12);
const LIMITS = effectiveBudget({ dailyUsd: 1 }, {});

const planFor = () =>
  plan({
    model: MINI,
    features: { kind: "chat", complexity: 0, promptTokens: 100, reserveTokens: 100, tools: false, images: false, json: false, metadata: {} },
    policy: {},
    privateRequest: false,
    deploymentAutoTargets: [],
    configured: new Set<ProviderId>(["openai"]),
    sidecars: [],
    perf: {},
    openBreakers: new Set(),
    deadlines: { cloudMs: 1000, localMs: 1000 },
  });

const record = (hold: string, completionTokens: number): RequestRecord => ({
  at: NOW,
  kind: "chat",
  rule: undefined,
  served: MINI,
  error: undefined,
  promptTokens: 100,
  completionTokens,
  trace: [{ target: MINI, outcome: "served", reason: "ok", ms: 10 }],
  reference: MINI,
  first: MINI,
  stream: false,
  totalMs: 20,
  hold,
});

const flush = () => new Promise((r) => setTimeout(r, 10));

describe("BudgetStore", () => {
  it("holds the estimate until the record comes, then charges the real cost; both survive a rebuild", async () => {
    const stub = env.SIDECAR_HUB.get(env.SIDECAR_HUB.idFromName("budget-store"));
    await runInDurableObject(stub, async (_obj, state) => {
      const store = new BudgetStore(state.storage);
      await store.load();
      const hold = store.reserve(planFor(), EST, NOW + 60_000);
      expect(hold).toBeDefined();
      expect(store.check(LIMITS, NOW).leftUsd).toBeCloseTo(0.8, 9);
      await flush();
      const again = new BudgetStore(state.storage);
      await again.load();
      expect(again.reserved(NOW)).toBeCloseTo(0.2, 9);
      // The answer was shorter than its max_tokens: 150 tokens, 0.15 USD.
      again.settle(record(hold as string, 50), PRICES, NOW);
      expect(again.reserved(NOW)).toBe(0);
      expect(again.check(LIMITS, NOW).leftUsd).toBeCloseTo(0.85, 9);
      await flush();
      const third = new BudgetStore(state.storage);
      await third.load();
      expect(third.report(LIMITS, NOW)).toMatchObject({ state: "ok", reserved_usd: 0, day: { spent_usd: 0.15, limit_usd: 1, remaining_usd: 0.85 } });
      // The next day starts at zero; the month keeps it.
      expect(third.report(LIMITS, NOW + 86_400_000)).toMatchObject({ day: { spent_usd: 0 }, month: { spent_usd: 0.15 } });
    });
  });

  it("a reservation whose record never comes is dropped when it expires", async () => {
    const stub = env.SIDECAR_HUB.get(env.SIDECAR_HUB.idFromName("budget-expiry"));
    await runInDurableObject(stub, async (_obj, state) => {
      const store = new BudgetStore(state.storage);
      await store.load();
      store.reserve(planFor(), EST, NOW + 1_000);
      expect(store.reserved(NOW)).toBeCloseTo(0.2, 9);
      expect(store.reserved(NOW + 1_000)).toBe(0);
    });
  });

  it("charges a hedge's stopped cloud loser its prompt, even when home served", async () => {
    const stub = env.SIDECAR_HUB.get(env.SIDECAR_HUB.idFromName("budget-hedge"));
    await runInDurableObject(stub, async (_obj, state) => {
      const store = new BudgetStore(state.storage);
      await store.load();
      const r: RequestRecord = {
        ...record("", 0),
        served: "local/echo",
        trace: [
          { target: MINI, outcome: "cancelled", reason: "hedge_lost", ms: 40 },
          { target: "local/echo", outcome: "served", reason: "ok", ms: 60 },
        ],
      };
      store.settle(r, PRICES, NOW);
      // 100 prompt tokens at 0.001 USD: 0.1 USD, though home answered.
      expect(store.report(LIMITS, NOW)).toMatchObject({ day: { spent_usd: 0.1 } });
    });
  });
});


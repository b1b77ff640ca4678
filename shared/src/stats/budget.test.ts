import { describe, expect, it } from "vitest";
import { plan, type PlanInput } from "../routing/planner.js";
import { routingPolicySchema } from "../routing/policy.js";
import type { ProviderId } from "../routing/targets.js";
import { chargeLedger, checkBudget, effectiveBudget, estimateCost, periodEnds, rollLedger, withinBudget, type CostEstimate } from "./budget.js";

const T = Date.UTC(2026, 10, 30, 23, 59, 0); // the last minute of a day and of a month
const SONNET = "anthropic/claude-sonnet-4-5";
const MINI = "openai/gpt-4.1-mini";
const PRICES = { [SONNET]: { input: 3, output: 15 }, [MINI]: { input: 0.4, output: 1.6 } };
/** 1,000 prompt + 1,000 answer tokens: sonnet 0.018 USD, mini 0.002 USD. */
const EST: CostEstimate = { prices: PRICES, promptTokens: 1000, completionTokens: 1000 };

describe("budget limits", () => {
  it("the stricter of the user's and the deployment's applies, per period", () => {
    expect(effectiveBudget({ dailyUsd: 5 }, { dailyUsd: 2, monthlyUsd: 30 })).toEqual({ dailyUsd: 2, monthlyUsd: 30, onExceeded: "home_only" });
    expect(effectiveBudget({ dailyUsd: 1, monthlyUsd: 50, onExceeded: "refuse" }, { monthlyUsd: 30 })).toEqual({ dailyUsd: 1, monthlyUsd: 30, onExceeded: "refuse" });
    expect(effectiveBudget(undefined, {})).toEqual({ dailyUsd: undefined, monthlyUsd: undefined, onExceeded: "home_only" });
  });

  it("the policy schema names a bad budget field", () => {
    const r = routingPolicySchema.safeParse({ budget: { dailyUsd: -1 } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["budget", "dailyUsd"]);
    expect(routingPolicySchema.safeParse({ budget: { onExceeded: "panic" } }).error?.issues[0]?.path).toEqual(["budget", "onExceeded"]);
  });
});

describe("the ledger", () => {
  it("starts a new day and a new month at zero; a late cost counts only where it belongs", () => {
    let l = chargeLedger(rollLedger(undefined, T), T, 2);
    expect(l).toEqual({ day: "2026-11-30", dayUsd: 2, month: "2026-11", monthUsd: 2 });
    const next = T + 2 * 60_000; // 2026-12-01
    l = rollLedger(l, next);
    expect(l).toEqual({ day: "2026-12-01", dayUsd: 0, month: "2026-12", monthUsd: 0 });
    // An answer of the day before, counted after midnight: neither today's nor this month's.
    expect(chargeLedger(l, T, 1)).toEqual(l);
    expect(periodEnds(T)).toEqual({ day: Date.UTC(2026, 11, 1), month: Date.UTC(2026, 11, 1) });
  });

  it("reservations count against what is left; the state says how close the spend is", () => {
    const limits = effectiveBudget({ dailyUsd: 1, monthlyUsd: 10 }, {});
    const l = { day: "2026-11-30", dayUsd: 0.5, month: "2026-11", monthUsd: 5 };
    expect(checkBudget(limits, l, 0.1, T)).toEqual({ leftUsd: expect.closeTo(0.4, 9), state: "ok", resetsAt: undefined });
    expect(checkBudget(limits, { ...l, dayUsd: 0.85 }, 0, T).state).toBe("near");
    const over = checkBudget(limits, { ...l, dayUsd: 1.2 }, 0, T);
    expect(over.state).toBe("exceeded");
    expect(over.leftUsd).toBeCloseTo(-0.2, 9);
    expect(over.resetsAt).toBe(Date.UTC(2026, 11, 1));
    expect(checkBudget(effectiveBudget(undefined, {}), l, 0, T)).toEqual({ leftUsd: Infinity, state: "none", resetsAt: undefined });
  });

  it("estimates from the size; an unpriced target costs 0 but is refused once nothing is left", () => {
    expect(estimateCost(EST, SONNET)).toBeCloseTo(0.018, 9);
    expect(withinBudget(EST, SONNET, 0.01)).toBe(false);
    expect(withinBudget(EST, MINI, 0.01)).toBe(true);
    expect(withinBudget(EST, "openai/unpriced", 0.0001)).toBe(true);
    expect(withinBudget(EST, "openai/unpriced", 0)).toBe(false);
  });
});

describe("the planner under a budget", () => {
  const input = (over: Partial<PlanInput> = {}): PlanInput => ({
    model: "auto",
    features: { kind: "chat", complexity: 0.1, promptTokens: 1000, reserveTokens: 256, tools: false, images: false, json: false, metadata: {} },
    policy: {},
    privateRequest: false,
    deploymentAutoTargets: [SONNET, MINI],
    configured: new Set<ProviderId>(["openai", "anthropic", "local"]),
    sidecars: [],
    perf: {},
    openBreakers: new Set(),
    deadlines: { cloudMs: 30_000, localMs: 10_000 },
    ...over,
  });
  const skips = (p: ReturnType<typeof plan>) => p.skipped.map((s) => `${s.target}:${s.reason}`);

  it("leaves out each cloud target whose estimate is more than what is left, with reason budget", () => {
    const p = plan(input({ budget: { leftUsd: 0.01, onExceeded: "home_only", estimate: EST } }));
    expect(p.targets.map((t) => t.id)).toEqual([MINI]);
    expect(skips(p)).toContain(`${SONNET}:budget`);
    expect(p.budget).toEqual({ onExceeded: "home_only" });
    expect(p.notes.join(" ")).toMatch(/budget/);
  });

  it("no budget section when nothing was left out", () => {
    expect(plan(input({ budget: { leftUsd: 5, onExceeded: "refuse", estimate: EST } })).budget).toBeUndefined();
  });

  it("home_only sends what the policy meant for the cloud home instead (cloud_only mode, an explicit model stays)", () => {
    const b = { leftUsd: 0, onExceeded: "home_only" as const, estimate: EST, retryAfterSeconds: 60 };
    const p = plan(input({ policy: { mode: "cloud_only" }, budget: b }));
    expect(skips(p)).toEqual([`${SONNET}:budget`, `${MINI}:budget`, "local:offline"]);
    expect(p.budget).toEqual({ onExceeded: "home_only", retryAfterSeconds: 60 });
    const refuse = plan(input({ policy: { mode: "cloud_only" }, budget: { ...b, onExceeded: "refuse" } }));
    expect(skips(refuse)).toEqual([`${SONNET}:budget`, `${MINI}:budget`]);
    const named = plan(input({ model: MINI, budget: b }));
    expect(skips(named)).toEqual([`${MINI}:budget`]);
  });

  it("other reasons come first: a private request's cloud is 'private', not 'budget'", () => {
    const p = plan(input({ privateRequest: true, budget: { leftUsd: 0, onExceeded: "refuse", estimate: EST } }));
    expect(skips(p)).toContain(`${SONNET}:private`);
    expect(p.budget).toBeUndefined();
  });
});

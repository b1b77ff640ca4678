/**
 * Cloud spend budgets, as pure decisions. A user's policy and the deployment may each set a daily
 * and a monthly limit in USD (UTC day, calendar month); the stricter of the two applies. Spend is
 * counted from the same price table as the stats, after each answer; before a call, the request's
 * cost is estimated from its size and held (a reservation) until its real cost is known, so requests
 * in flight together cannot all spend the same headroom.
 */
import { z } from "zod";
import { costOf, type PriceTable } from "./prices.js";

/**
 * `home_only`: once a budget is reached, the cloud is left out and home answers what it can, even
 * requests the policy would have sent to the cloud (503 `budget_exceeded_home_unavailable` when home
 * cannot). `refuse`: the cloud is left out and nothing is rerouted to home (429 `budget_exceeded`
 * when no target is left).
 */
export const BUDGET_ACTIONS = ["home_only", "refuse"] as const;
export type BudgetAction = (typeof BUDGET_ACTIONS)[number];

export const budgetSchema = z
  .object({
    /** Cloud spend per UTC day, USD. Default: none (the deployment's HEARTH_BUDGET_DAILY_USD, if set). */
    dailyUsd: z.number().nonnegative().max(1_000_000).optional(),
    /** Cloud spend per calendar month (UTC), USD. Default: none (the deployment's HEARTH_BUDGET_MONTHLY_USD, if set). */
    monthlyUsd: z.number().nonnegative().max(10_000_000).optional(),
    /** What happens once a budget is reached. Default: home_only. */
    onExceeded: z.enum(BUDGET_ACTIONS).optional(),
  })
  .strict();
export type Budget = z.infer<typeof budgetSchema>;

export interface BudgetLimits {
  dailyUsd: number | undefined;
  monthlyUsd: number | undefined;
  onExceeded: BudgetAction;
}

/** The limits in force: the stricter of the user's and the deployment's, per period. */
export function effectiveBudget(user: Budget | undefined, deployment: { dailyUsd?: number | undefined; monthlyUsd?: number | undefined }): BudgetLimits {
  const min = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
  return { dailyUsd: min(user?.dailyUsd, deployment.dailyUsd), monthlyUsd: min(user?.monthlyUsd, deployment.monthlyUsd), onExceeded: user?.onExceeded ?? "home_only" };
}

export const hasBudget = (l: BudgetLimits) => l.dailyUsd !== undefined || l.monthlyUsd !== undefined;

/** Spend so far in the current UTC day and month. */
export interface BudgetLedger {
  /** `YYYY-MM-DD` */
  day: string;
  dayUsd: number;
  /** `YYYY-MM` */
  month: string;
  monthUsd: number;
}

export const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);
export const monthOf = (at: number) => new Date(at).toISOString().slice(0, 7);

/** The ledger for `now`'s day and month: a period that has ended starts again at zero. */
export function rollLedger(l: BudgetLedger | undefined, now: number): BudgetLedger {
  const day = dayOf(now);
  const month = monthOf(now);
  return { day, dayUsd: l?.day === day ? l.dayUsd : 0, month, monthUsd: l?.month === month ? l.monthUsd : 0 };
}

/** Adds an answer's cost to the periods it belongs to (one that arrives after its day ended counts only for its month). */
export function chargeLedger(l: BudgetLedger, at: number, usd: number): BudgetLedger {
  return { ...l, dayUsd: l.dayUsd + (dayOf(at) === l.day ? usd : 0), monthUsd: l.monthUsd + (monthOf(at) === l.month ? usd : 0) };
}

/** The next UTC midnight, and the first moment of next month. */
export function periodEnds(now: number): { day: number; month: number } {
  const d = new Date(now);
  return { day: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1), month: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

export type BudgetState = "none" | "ok" | "near" | "exceeded";

/** At this share of a limit spent, the state says `near`. */
export const NEAR_SHARE = 0.8;

export interface BudgetCheck {
  /** What may still be spent (held reservations deducted), over the tighter period; Infinity without limits. */
  leftUsd: number;
  state: BudgetState;
  /** When the tightest limit that is reached (or nearest) starts again, for retry-after. */
  resetsAt: number | undefined;
}

export function checkBudget(limits: BudgetLimits, ledger: BudgetLedger, reservedUsd: number, now: number): BudgetCheck {
  const ends = periodEnds(now);
  const periods = [
    { limit: limits.dailyUsd, spent: ledger.dayUsd, ends: ends.day },
    { limit: limits.monthlyUsd, spent: ledger.monthUsd, ends: ends.month },
  ].filter((p): p is { limit: number; spent: number; ends: number } => p.limit !== undefined);
  if (periods.length === 0) return { leftUsd: Infinity, state: "none", resetsAt: undefined };
  let leftUsd = Infinity;
  let state: BudgetState = "ok";
  let resetsAt: number | undefined;
  for (const p of periods) {
    const left = p.limit - p.spent - reservedUsd;
    if (left < leftUsd) leftUsd = left;
    const reached = p.spent >= p.limit;
    if (reached || left <= 0) resetsAt = Math.max(resetsAt ?? 0, p.ends);
    if (reached) state = "exceeded";
    else if (state !== "exceeded" && p.spent >= p.limit * NEAR_SHARE) state = "near";
  }
  return { leftUsd, state, resetsAt };
}

/** What the size of a request says it could cost at a target, for the estimate before the call. */
export interface CostEstimate {
  prices: PriceTable;
  promptTokens: number;
  /** The request's max_tokens, or a default when it sets none. */
  completionTokens: number;
}

/** A target's estimated cost: 0 when it has no price (nothing can be counted for it afterwards either). */
export const estimateCost = (e: CostEstimate, targetId: string) => costOf(e.prices, targetId, e.promptTokens, e.completionTokens) ?? 0;

/**
 * May this cloud target be called with `leftUsd` left? Not when its estimate is more than what is
 * left, nor (whatever its price) when nothing is left.
 */
export const withinBudget = (e: CostEstimate, targetId: string, leftUsd: number) => leftUsd > 0 && estimateCost(e, targetId) <= leftUsd;

/** The answer tokens assumed for a request that sets no max_tokens. */
export const DEFAULT_ANSWER_TOKENS = 1024;

/** The `budget` section of /v1/stats and /v1/health: each period's spend, limit, what is left and when it resets. */
export function budgetReport(limits: BudgetLimits, ledger: BudgetLedger, reservedUsd: number, now: number) {
  const c = checkBudget(limits, ledger, reservedUsd, now);
  const ends = periodEnds(now);
  const round = (n: number) => Math.round(n * 1e6) / 1e6;
  const period = (spent: number, limit: number | undefined, resets: number) => ({
    spent_usd: round(spent),
    limit_usd: limit ?? null,
    remaining_usd: limit === undefined ? null : round(Math.max(0, limit - spent)),
    resets_at: new Date(resets).toISOString(),
  });
  return {
    state: c.state,
    on_exceeded: limits.onExceeded,
    reserved_usd: round(reservedUsd),
    day: { date: ledger.day, ...period(ledger.dayUsd, limits.dailyUsd, ends.day) },
    month: { month: ledger.month, ...period(ledger.monthUsd, limits.monthlyUsd, ends.month) },
  };
}

export type BudgetReport = ReturnType<typeof budgetReport>;

/**
 * Per-user request counters, as pure reducers: what /v1/stats adds up. One RequestRecord per request
 * that reached routing (answered or not). Never holds prompt text: only targets, reasons and counts.
 */
import type { AttemptSummary } from "../errors.js";
import type { PerfSample } from "../routing/perf.js";
import { applyCheck, type CheckRecord, type ModelChecks } from "./checks.js";
import { costOf, type PriceTable } from "./prices.js";

export interface RequestRecord {
  at: number;
  /** The classifier's task kind, when the request was classified. */
  kind: string | undefined;
  /** The hybrid rule that decided, if any. */
  rule: string | undefined;
  /** The target that answered (`local/<model>`, `openai/…`); undefined when none did. */
  served: string | undefined;
  /** The error code when none answered. */
  error: string | undefined;
  promptTokens: number;
  completionTokens: number;
  /** Every target tried or passed over, as in x-hearth-trace (served entry last). */
  trace: AttemptSummary[];
  /** The first cloud target of the plan: what a home answer would otherwise have cost. */
  reference: string | undefined;
  /** The plan's first target (`local` when home was left out up front): an answer from another fell back. */
  first: string | undefined;
  stream: boolean;
  /** From the request's arrival to its last byte (ms). */
  totalMs: number;
  /** The served attempt's time to its first content (ms), from the executor's trace. Absent when none served. */
  ttftMs?: number;
  /** The budget reservation the hub made when it planned this request: released when this record arrives. */
  hold?: string;
  /**
   * The home-risk model's logit for this request (before home's size and learned shifts), when it was
   * estimated and home was tried: what home's outcome here is measured against (risk/learn.ts).
   */
  riskLogit?: number;
  /** What the checks found of each answer from home (README "Checked answers"). */
  checks?: CheckRecord[];
}

export interface TargetCounters {
  served: number;
  failed: number;
  skipped: number;
  /** Called, then stopped because another target won a hedge. */
  cancelled?: number;
  promptTokens: number;
  completionTokens: number;
  /** Failures and skips by reason. */
  reasons: Record<string, number>;
  costUsd: number;
}

export interface Counters {
  since: number;
  requests: number;
  served: number;
  failed: number;
  byTarget: Record<string, TargetCounters>;
  /** Targets passed over on the way to an answer (or an error), by reason: once per target and request. */
  fallbacks: Record<string, number>;
  /** Requests answered by another target than the plan's first. */
  fellBack: number;
  /** Answers that started and then broke mid-stream (the client saw an error event). */
  interrupted?: number;
  rules: Record<string, number>;
  kinds: Record<string, number>;
  /** What home answers would have cost at their reference cloud target's price. */
  costAvoidedUsd: number;
  /** Home answers with no priced reference target (not in the cost estimate). */
  unpricedLocal: number;
  cloudCostUsd: number;
  /** Home answers' checks by model (stats/checks.ts). Absent until one was checked. */
  homeChecks?: Record<string, ModelChecks>;
}

export const emptyCounters = (since: number): Counters => ({
  since,
  requests: 0,
  served: 0,
  failed: 0,
  byTarget: {},
  fallbacks: {},
  fellBack: 0,
  rules: {},
  kinds: {},
  costAvoidedUsd: 0,
  unpricedLocal: 0,
  cloudCostUsd: 0,
});

const bump = (m: Record<string, number>, k: string, by = 1) => {
  m[k] = (m[k] ?? 0) + by;
};

function target(c: Counters, id: string): TargetCounters {
  return (c.byTarget[id] ??= { served: 0, failed: 0, skipped: 0, promptTokens: 0, completionTokens: 0, reasons: {}, costUsd: 0 });
}

export const isLocalTarget = (id: string) => id === "local" || id.startsWith("local/");

/**
 * The targets a request moved past, each with its last reason: a target's own retries are one
 * fallback (none when it then answered), and a hedge's cancelled backup is none (the first answered).
 */
export function passedOver(r: RequestRecord): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of r.trace) {
    if (a.outcome === "served" || a.target === r.served) continue;
    if (a.outcome === "cancelled" && a.target !== r.first) continue;
    // An answer that failed its check counts by the check: `invalid_answer:tool_args_schema`.
    out.set(a.target, a.check ? `${a.reason}:${a.check}` : a.reason);
  }
  return out;
}

/** Counters with one more request. Mutates and returns `c` (the Durable Object owns it). */
export function applyRecord(c: Counters, r: RequestRecord, prices: PriceTable): Counters {
  c.requests++;
  if (r.kind) bump(c.kinds, r.kind);
  if (r.rule) bump(c.rules, r.rule);
  for (const a of r.trace) {
    if (a.outcome === "served") continue;
    const t = target(c, a.target);
    if (a.outcome === "failed") t.failed++;
    else if (a.outcome === "cancelled") t.cancelled = (t.cancelled ?? 0) + 1;
    else t.skipped++;
    bump(t.reasons, a.check ? `${a.reason}:${a.check}` : a.reason);
  }
  for (const reason of passedOver(r).values()) bump(c.fallbacks, reason);
  for (const check of r.checks ?? []) applyCheck((c.homeChecks ??= {}), check, r.at);
  for (const [id, usd] of unservedCosts(prices, r)) {
    target(c, id).costUsd += usd;
    c.cloudCostUsd += usd;
  }
  if (!r.served) {
    c.failed++;
    return c;
  }
  c.served++;
  if (r.served !== r.first) c.fellBack++;
  const t = target(c, r.served);
  t.served++;
  // Served, then broke mid-stream: an answer the client saw fail (a client leaving is not the target's fault).
  if (r.error && r.error !== "client_closed") {
    c.interrupted = (c.interrupted ?? 0) + 1;
    bump(t.reasons, r.error);
  }
  t.promptTokens += r.promptTokens;
  t.completionTokens += r.completionTokens;
  if (isLocalTarget(r.served)) {
    const avoided = r.reference ? costOf(prices, r.reference, r.promptTokens, r.completionTokens) : undefined;
    if (avoided === undefined) c.unpricedLocal++;
    else c.costAvoidedUsd += avoided;
  } else {
    const cost = costOf(prices, r.served, r.promptTokens, r.completionTokens) ?? 0;
    t.costUsd += cost;
    c.cloudCostUsd += cost;
  }
  return c;
}

/**
 * What cloud attempts that did not serve still cost: a hedge's loser that was stopped (`cancelled`)
 * and an answer that began and then broke (`broken`) were both billed for the prompt they read. Their
 * prompt tokens are the request's; the output they made before stopping is unknown and not counted
 * (a hedge's loser is stopped at the winner's first token, so it is small). Failures before any
 * answer (a 429, a timeout to the first token) are not billed by the providers.
 */
export function unservedCosts(prices: PriceTable, r: Pick<RequestRecord, "trace" | "served" | "promptTokens">): [string, number][] {
  const out: [string, number][] = [];
  for (const a of r.trace) {
    if ((a.outcome !== "cancelled" && a.outcome !== "broken") || isLocalTarget(a.target) || a.target === r.served) continue;
    const usd = costOf(prices, a.target, r.promptTokens, 0);
    if (usd) out.push([a.target, usd]);
  }
  return out;
}

/** Time the attempts before `served` took (a hedge's cancelled loser ran alongside it: not counted). */
function msBefore(trace: readonly AttemptSummary[], served: AttemptSummary): number {
  let ms = 0;
  for (const a of trace) {
    if (a === served) break;
    if (a.outcome !== "cancelled") ms += a.ms ?? 0;
  }
  return ms;
}

/**
 * Window samples for the cloud targets a request tried, one per target (its last attempt: retries of
 * one request fail together and would open a breaker on one bad request). Home's are recorded by the
 * hub, which sees its first token itself. A timeout is a sample at its deadline; the served one
 * carries its speed.
 */
export function cloudSamples(r: RequestRecord): [string, PerfSample][] {
  const out: [string, PerfSample][] = [];
  const last = new Map<string, AttemptSummary>();
  for (const a of r.trace) if (!isLocalTarget(a.target) && (a.outcome === "failed" || a.outcome === "served")) last.set(a.target, a);
  for (const a of last.values()) {
    if (a.outcome !== "served") {
      out.push([a.target, { at: r.at, ok: false, reason: a.reason, ...(a.reason === "timeout" && a.ms !== undefined ? { ttftMs: a.ms } : {}) }]);
      continue;
    }
    const ttft = a.ms ?? r.totalMs;
    // Only the answering attempt's own time: what earlier attempts spent is not this target's speed.
    const genMs = r.stream ? r.totalMs - msBefore(r.trace, a) - ttft : ttft;
    const tps = genMs > 0 && r.completionTokens > 0 ? (r.completionTokens * 1000) / genMs : undefined;
    out.push([a.target, { at: r.at, ok: true, ttftMs: ttft, ...(tps !== undefined ? { tokensPerSecond: Math.round(tps * 10) / 10 } : {}) }]);
  }
  return out;
}

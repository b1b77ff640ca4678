/**
 * The /v1/stats document, built from the counters, the performance windows, the breakers and the
 * connected sidecars. Pure; snake_case like the rest of the API. No prompt text ever reaches it.
 */
import { summarize, type Percentiles, type PerfSample, type PerfSummary } from "../routing/perf.js";
import { DEFAULT_UNRELIABLE_AT, checksReport } from "./checks.js";
import { isLocalTarget, type Counters } from "./counters.js";

export interface SidecarUptime {
  sidecarId: string;
  name: string | undefined;
  connectedAt: number;
  models: string[];
  breaker: string;
}

export interface ReportInput {
  counters: Counters;
  windows: Readonly<Record<string, readonly PerfSample[]>>;
  /** Breaker state by target id (cloud targets from their windows; home per sidecar in `sidecars`). */
  breakers: Readonly<Record<string, string>>;
  sidecars: readonly SidecarUptime[];
  minSamples: number;
  now: number;
  /** The policy's unreliableToolsAt, for home_checks. Default: DEFAULT_UNRELIABLE_AT. */
  unreliableToolsAt?: number;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const pct = (p: Percentiles | undefined) => (p ? { p50: round(p.p50), p90: round(p.p90), p99: round(p.p99) } : null);

/** One target's entry in the report. */
function targetJson(id: string, t: Counters["byTarget"][string] | undefined, w: PerfSummary, breaker: string | undefined) {
  return {
    served: t?.served ?? 0,
    failed: t?.failed ?? 0,
    skipped: t?.skipped ?? 0,
    cancelled: t?.cancelled ?? 0,
    prompt_tokens: t?.promptTokens ?? 0,
    completion_tokens: t?.completionTokens ?? 0,
    reasons: t?.reasons ?? {},
    ...(isLocalTarget(id) ? {} : { cost_usd: round(t?.costUsd ?? 0, 6) }),
    window: { samples: w.samples, error_rate: round(w.errorRate, 3), ttft_ms: pct(w.ttftMs), tokens_per_second: pct(w.tokensPerSecond) },
    ...(breaker ? { breaker } : {}),
  };
}

export type TargetReport = ReturnType<typeof targetJson>;

export function buildReport(r: ReportInput) {
  const c = r.counters;
  const ids = [...new Set([...Object.keys(c.byTarget), ...Object.keys(r.windows)])].sort();
  const localServed = ids.filter(isLocalTarget).reduce((n, id) => n + (c.byTarget[id]?.served ?? 0), 0);
  let prompt = 0;
  let completion = 0;
  const targets: Record<string, TargetReport> = {};
  for (const id of ids) {
    const t = c.byTarget[id];
    prompt += t?.promptTokens ?? 0;
    completion += t?.completionTokens ?? 0;
    targets[id] = targetJson(id, t, summarize(r.windows[id] ?? [], { minSamples: r.minSamples }), r.breakers[id]);
  }
  return {
    object: "hearth.stats",
    since: new Date(c.since).toISOString(),
    requests: { total: c.requests, served: c.served, failed: c.failed, fell_back: c.fellBack, interrupted: c.interrupted ?? 0 },
    local_share: c.served ? round(localServed / c.served, 4) : 0,
    tokens: { prompt, completion },
    targets,
    fallbacks: c.fallbacks,
    /** Per home model: how its answers fared in the checks (README "Checked answers"). */
    home_checks: checksReport(c.homeChecks, r.unreliableToolsAt ?? DEFAULT_UNRELIABLE_AT, r.now),
    rules: c.rules,
    kinds: c.kinds,
    cost: {
      avoided_usd: round(c.costAvoidedUsd, 6),
      cloud_usd: round(c.cloudCostUsd, 6),
      unpriced_local_requests: c.unpricedLocal,
    },
    sidecars: r.sidecars.map((s) => ({
      id: s.sidecarId,
      name: s.name ?? null,
      connected_at: new Date(s.connectedAt).toISOString(),
      uptime_seconds: Math.max(0, Math.round((r.now - s.connectedAt) / 1000)),
      models: s.models,
      breaker: s.breaker,
    })),
  };
}

export type StatsReport = ReturnType<typeof buildReport>;

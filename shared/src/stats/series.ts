/**
 * Per-user time series, as pure reducers: a bucket per minute (and, once rolled up, per hour) holding
 * what /v1/stats/series charts — requests by the target that served them, fallbacks by reason, errors
 * by code, tokens, cloud spend and cost avoided, and a TTFT sketch per target. Buckets merge by adding,
 * so an hour is the sum of its minutes and a chart point the sum of its buckets.
 * Never holds prompt text: only targets, reasons, codes and counts.
 */
import { isLocalTarget, passedOver, unservedCosts, type RequestRecord } from "./counters.js";
import { costOf, type PriceTable } from "./prices.js";
import { addToSketch, mergeSketch, sketchQuantile, type Sketch } from "./sketch.js";

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** How long each resolution is kept: minutes for a week, hours for a year. */
export const SERIES_RETENTION = { minuteMs: 7 * DAY_MS, hourMs: 365 * DAY_MS } as const;

export interface SeriesTarget {
  /** Requests this target answered. */
  served: number;
  /** Attempts at this target that failed or broke. */
  failed: number;
  promptTokens: number;
  completionTokens: number;
  /** What its answers cost (cloud targets). */
  spendUsd: number;
  /** What its answers would have cost at the reference cloud target (home). */
  avoidedUsd: number;
  /** Time to first content of its answers. */
  ttft: Sketch;
}

export interface SeriesBucket {
  requests: number;
  /** Requests no target answered. */
  failed: number;
  /** Errors by code: requests no target answered, and answers that broke mid-stream. */
  errors: Record<string, number>;
  /** Targets passed over on the way to an answer (or an error), by reason. */
  fallbacks: Record<string, number>;
  targets: Record<string, SeriesTarget>;
}

export const emptyBucket = (): SeriesBucket => ({ requests: 0, failed: 0, errors: {}, fallbacks: {}, targets: {} });

const emptyTarget = (): SeriesTarget => ({ served: 0, failed: 0, promptTokens: 0, completionTokens: 0, spendUsd: 0, avoidedUsd: 0, ttft: {} });

const bump = (m: Record<string, number>, k: string, by = 1) => {
  m[k] = (m[k] ?? 0) + by;
};

/** The start of the bucket of this resolution that `at` falls in (UTC). */
export const bucketStart = (at: number, resMs: number): number => Math.floor(at / resMs) * resMs;

/** Adds one request. Mutates and returns `b`. */
export function applyToBucket(b: SeriesBucket, r: RequestRecord, prices: PriceTable): SeriesBucket {
  b.requests++;
  for (const a of r.trace) if (a.outcome === "failed" || a.outcome === "broken") (b.targets[a.target] ??= emptyTarget()).failed++;
  for (const reason of passedOver(r).values()) bump(b.fallbacks, reason);
  for (const [id, usd] of unservedCosts(prices, r)) (b.targets[id] ??= emptyTarget()).spendUsd += usd;
  if (!r.served) {
    b.failed++;
    bump(b.errors, r.error ?? "unknown");
    return b;
  }
  if (r.error && r.error !== "client_closed") bump(b.errors, r.error);
  const t = (b.targets[r.served] ??= emptyTarget());
  t.served++;
  t.promptTokens += r.promptTokens;
  t.completionTokens += r.completionTokens;
  if (r.ttftMs !== undefined) addToSketch(t.ttft, r.ttftMs);
  if (isLocalTarget(r.served)) t.avoidedUsd += (r.reference ? costOf(prices, r.reference, r.promptTokens, r.completionTokens) : undefined) ?? 0;
  else t.spendUsd += costOf(prices, r.served, r.promptTokens, r.completionTokens) ?? 0;
  return b;
}

/** Adds `from` into `into`. Mutates and returns `into`. */
export function mergeBuckets(into: SeriesBucket, from: Readonly<SeriesBucket>): SeriesBucket {
  into.requests += from.requests;
  into.failed += from.failed;
  for (const [k, n] of Object.entries(from.errors)) bump(into.errors, k, n);
  for (const [k, n] of Object.entries(from.fallbacks)) bump(into.fallbacks, k, n);
  for (const [id, f] of Object.entries(from.targets)) {
    const t = (into.targets[id] ??= emptyTarget());
    t.served += f.served;
    t.failed += f.failed;
    t.promptTokens += f.promptTokens;
    t.completionTokens += f.completionTokens;
    t.spendUsd += f.spendUsd;
    t.avoidedUsd += f.avoidedUsd;
    mergeSketch(t.ttft, f.ttft);
  }
  return into;
}

/** A stored bucket: its start (ms since the epoch, UTC) and contents. */
export interface TimedBucket {
  t: number;
  bucket: SeriesBucket;
}

/** The downsampler: buckets merged into buckets of `resMs` (e.g. minutes into hours), oldest first. */
export function downsample(rows: readonly TimedBucket[], resMs: number): TimedBucket[] {
  const out = new Map<number, SeriesBucket>();
  for (const { t, bucket } of rows) {
    const start = bucketStart(t, resMs);
    let into = out.get(start);
    if (!into) out.set(start, (into = emptyBucket()));
    mergeBuckets(into, bucket);
  }
  return [...out.entries()].sort((a, b) => a[0] - b[0]).map(([t, bucket]) => ({ t, bucket }));
}

/** The ranges /v1/stats/series takes, with their default step. */
export const SERIES_RANGES = {
  "1h": { ms: HOUR_MS, stepMs: MINUTE_MS },
  "24h": { ms: DAY_MS, stepMs: 5 * MINUTE_MS },
  "7d": { ms: 7 * DAY_MS, stepMs: HOUR_MS },
  "30d": { ms: 30 * DAY_MS, stepMs: 6 * HOUR_MS },
  "1y": { ms: 365 * DAY_MS, stepMs: DAY_MS },
} as const;
export type SeriesRange = keyof typeof SERIES_RANGES;

/** The most points one answer has. */
export const MAX_POINTS = 1_500;

export interface SeriesWindow {
  range: SeriesRange;
  stepMs: number;
  /** First point's start (inclusive) and the last point's end (exclusive), aligned to the step. */
  from: number;
  to: number;
}

export type SeriesQuery = ({ ok: true } & SeriesWindow) | { ok: false; param: "range" | "step"; message: string };

/**
 * Reads `range` and `step` (seconds) as the API takes them. The last point is the one `now` falls in
 * (still filling). A step must be whole minutes, and whole hours where the range reaches past the
 * week that minutes are kept for.
 */
export function parseSeriesQuery(range: string | undefined, step: string | undefined, now: number): SeriesQuery {
  const r = range ?? "24h";
  if (!(r in SERIES_RANGES)) return { ok: false, param: "range", message: `range must be one of ${Object.keys(SERIES_RANGES).join(", ")}, not '${r}'.` };
  const spec = SERIES_RANGES[r as SeriesRange];
  let stepMs: number = spec.stepMs;
  if (step !== undefined) {
    const s = Number(step);
    if (!Number.isInteger(s) || s < 60 || s % 60 !== 0) return { ok: false, param: "step", message: `step must be a whole number of minutes in seconds (60, 300, 3600…), not '${step}'.` };
    stepMs = s * 1000;
    if (spec.ms > SERIES_RETENTION.minuteMs && stepMs % HOUR_MS !== 0) return { ok: false, param: "step", message: `step must be whole hours (3600, 21600, 86400…) for range ${r}: minute buckets are kept for 7 days.` };
    if (stepMs > spec.ms) return { ok: false, param: "step", message: `step must not be longer than the range (${spec.ms / 1000} s).` };
    if (Math.ceil(spec.ms / stepMs) > MAX_POINTS) return { ok: false, param: "step", message: `step ${s} gives more than ${MAX_POINTS} points over ${r}: use a longer one.` };
  }
  const to = bucketStart(now, stepMs) + stepMs;
  const from = to - Math.ceil(spec.ms / stepMs) * stepMs;
  return { ok: true, range: r as SeriesRange, stepMs, from, to };
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

export interface SeriesPoint {
  /** The point's start, seconds since the epoch (UTC). */
  t: number;
  /** Requests answered, by target. */
  requests: Record<string, number>;
  /** Requests answered at home, and by the cloud. */
  local: number;
  cloud: number;
  /** Requests no target answered. */
  failed: number;
  /** Errors (failed requests and answers broken mid-stream), in all and by code. */
  errors: number;
  error_codes: Record<string, number>;
  /** Attempts that failed, by target. */
  target_failures: Record<string, number>;
  fallbacks: Record<string, number>;
  tokens: { prompt: number; completion: number };
  spend_usd: number;
  avoided_usd: number;
  /** Time to first content of the answers, by target (targets with answers in this point only). */
  ttft_ms: Record<string, { p50: number; p95: number; n: number }>;
}

function pointOf(t: number, b: SeriesBucket): SeriesPoint {
  const p: SeriesPoint = {
    t: Math.floor(t / 1000),
    requests: {},
    local: 0,
    cloud: 0,
    failed: b.failed,
    errors: Object.values(b.errors).reduce((n, c) => n + c, 0),
    error_codes: b.errors,
    target_failures: {},
    fallbacks: b.fallbacks,
    tokens: { prompt: 0, completion: 0 },
    spend_usd: 0,
    avoided_usd: 0,
    ttft_ms: {},
  };
  for (const [id, x] of Object.entries(b.targets)) {
    if (x.failed > 0) p.target_failures[id] = x.failed;
    p.tokens.prompt += x.promptTokens;
    p.tokens.completion += x.completionTokens;
    p.spend_usd += x.spendUsd;
    p.avoided_usd += x.avoidedUsd;
    if (x.served === 0) continue;
    p.requests[id] = x.served;
    if (isLocalTarget(id)) p.local += x.served;
    else p.cloud += x.served;
    const p50 = sketchQuantile(x.ttft, 0.5);
    const p95 = sketchQuantile(x.ttft, 0.95);
    if (p50 !== undefined && p95 !== undefined) p.ttft_ms[id] = { p50: Math.round(p50), p95: Math.round(p95), n: Object.values(x.ttft).reduce((n, c) => n + c, 0) };
  }
  p.spend_usd = round(p.spend_usd, 6);
  p.avoided_usd = round(p.avoided_usd, 6);
  return p;
}

/**
 * The chart's points over a window: every step from `from` to `to` present (zero when nothing
 * happened), each the sum of the buckets that start within it, plus every target seen.
 */
export function seriesPoints(rows: readonly TimedBucket[], w: Pick<SeriesWindow, "from" | "to" | "stepMs">): { targets: string[]; points: SeriesPoint[] } {
  const n = Math.max(0, Math.round((w.to - w.from) / w.stepMs));
  const buckets = Array.from({ length: n }, emptyBucket);
  for (const { t, bucket } of rows) {
    if (t < w.from || t >= w.to) continue;
    const i = Math.floor((t - w.from) / w.stepMs);
    mergeBuckets(buckets[i] as SeriesBucket, bucket);
  }
  const points = buckets.map((b, i) => pointOf(w.from + i * w.stepMs, b));
  const targets = new Set<string>();
  for (const b of buckets) for (const [id, x] of Object.entries(b.targets)) if (x.served > 0 || x.failed > 0) targets.add(id);
  return { targets: [...targets].sort(), points };
}

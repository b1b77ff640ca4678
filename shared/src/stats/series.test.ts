import { describe, expect, it } from "vitest";
import type { RequestRecord } from "./counters.js";
import type { PriceTable } from "./prices.js";
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  applyToBucket,
  bucketStart,
  downsample,
  emptyBucket,
  mergeBuckets,
  parseSeriesQuery,
  seriesPoints,
  type SeriesBucket,
  type TimedBucket,
} from "./series.js";

const HOME = "local/echo:latest";
const MINI = "openai/gpt-4o-mini";
const PRICES: PriceTable = { [MINI]: { input: 1, output: 2 } };
const T0 = Date.UTC(2026, 0, 1);

function rec(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    at: T0,
    kind: "chat",
    rule: undefined,
    served: HOME,
    error: undefined,
    promptTokens: 100,
    completionTokens: 50,
    trace: [{ target: HOME, outcome: "served", reason: "ok", status: 200, ms: 40 }],
    reference: MINI,
    first: HOME,
    stream: false,
    totalMs: 50,
    ttftMs: 40,
    ...over,
  };
}

const fellBack = rec({
  served: MINI,
  promptTokens: 1_000_000,
  completionTokens: 500_000,
  ttftMs: 300,
  trace: [
    { target: HOME, outcome: "failed", reason: "timeout", ms: 5 },
    { target: MINI, outcome: "served", reason: "ok", status: 200, ms: 300 },
  ],
});
const failed = rec({ served: undefined, error: "no_target_available", promptTokens: 0, completionTokens: 0, ttftMs: undefined, trace: [{ target: HOME, outcome: "skipped", reason: "offline" }] });
const broken = rec({ error: "stream_interrupted" });

const bucketOf = (...records: RequestRecord[]): SeriesBucket => records.reduce((b, r) => applyToBucket(b, r, PRICES), emptyBucket());

describe("series buckets", () => {
  it("count requests by target, fallbacks by reason, errors by code, tokens, spend and avoided cost", () => {
    const b = bucketOf(rec(), fellBack, failed, broken);
    expect(b.requests).toBe(4);
    expect(b.failed).toBe(1);
    expect(b.errors).toEqual({ no_target_available: 1, stream_interrupted: 1 });
    expect(b.fallbacks).toEqual({ timeout: 1, offline: 1 });
    expect(b.targets[HOME]).toMatchObject({ served: 2, failed: 1, promptTokens: 200, completionTokens: 100 });
    // Home's answers at the reference's price: 2 × (100 × 1 + 50 × 2) / 1e6.
    expect(b.targets[HOME]?.avoidedUsd).toBeCloseTo(0.0004, 9);
    expect(b.targets[MINI]).toMatchObject({ served: 1, failed: 0, spendUsd: 2 });
  });

  it("a client that left is no error of the answer's", () => {
    expect(bucketOf(rec({ error: "client_closed" })).errors).toEqual({});
  });

  it("merge adds up to the bucket of all the records", () => {
    const records = [rec(), fellBack, failed, broken, rec({ ttftMs: 900 })];
    const whole = bucketOf(...records);
    const merged = mergeBuckets(bucketOf(...records.slice(0, 2)), bucketOf(...records.slice(2)));
    expect(merged).toEqual(whole);
  });

  it("downsample merges minutes into their hours, oldest first", () => {
    const rows: TimedBucket[] = [
      { t: T0 + HOUR_MS + 5 * MINUTE_MS, bucket: bucketOf(fellBack) },
      { t: T0, bucket: bucketOf(rec()) },
      { t: T0 + 59 * MINUTE_MS, bucket: bucketOf(rec(), failed) },
    ];
    const hours = downsample(rows, HOUR_MS);
    expect(hours.map((h) => h.t)).toEqual([T0, T0 + HOUR_MS]);
    expect(hours[0]?.bucket).toEqual(bucketOf(rec(), rec(), failed));
    expect(hours[1]?.bucket).toEqual(bucketOf(fellBack));
  });
});

describe("series query", () => {
  const now = T0 + 10 * HOUR_MS + 30 * MINUTE_MS + 5_000; // the first minute of a 5-minute point

  it("ranges have default steps and end with the point now falls in", () => {
    const q = parseSeriesQuery("1h", undefined, now);
    expect(q).toMatchObject({ ok: true, stepMs: MINUTE_MS, to: bucketStart(now, MINUTE_MS) + MINUTE_MS });
    if (!q.ok) return;
    expect((q.to - q.from) / q.stepMs).toBe(60);
    expect(parseSeriesQuery(undefined, undefined, now)).toMatchObject({ ok: true, range: "24h", stepMs: 5 * MINUTE_MS });
    expect(parseSeriesQuery("1y", undefined, now)).toMatchObject({ ok: true, stepMs: DAY_MS });
  });

  it.each([
    ["2h", undefined, "range"],
    ["1h", "30", "step"],
    ["1h", "90", "step"],
    ["1h", "abc", "step"],
    ["30d", "300", "step"],
    ["7d", "60", "step"],
    ["1h", "7200", "step"],
  ])("range=%s step=%s is refused naming %s", (range, step, param) => {
    const q = parseSeriesQuery(range, step, now);
    expect(q.ok).toBe(false);
    if (!q.ok) expect(q.param).toBe(param);
  });

  it("every step is a point, empty ones zero; buckets add into the point they start in", () => {
    const q = parseSeriesQuery("1h", "300", now);
    if (!q.ok) throw new Error(q.message);
    const inside = bucketStart(now, MINUTE_MS);
    const rows: TimedBucket[] = [
      { t: inside, bucket: bucketOf(rec(), fellBack) },
      { t: inside + 2 * MINUTE_MS, bucket: bucketOf(failed) }, // a later minute of the same point
      { t: q.from - MINUTE_MS, bucket: bucketOf(rec()) }, // before the window: left out
    ];
    const { targets, points } = seriesPoints(rows, q);
    expect(points).toHaveLength(12);
    expect(points.map((p) => p.t)).toEqual(Array.from({ length: 12 }, (_, i) => (q.from + i * 300_000) / 1000));
    const last = points[11];
    expect(last).toMatchObject({ requests: { [HOME]: 1, [MINI]: 1 }, local: 1, cloud: 1, failed: 1, errors: 1, error_codes: { no_target_available: 1 }, spend_usd: 2, fallbacks: { timeout: 1, offline: 1 } });
    expect(last?.ttft_ms[MINI]?.p50).toBeGreaterThan(270);
    expect(last?.ttft_ms[MINI]?.p50).toBeLessThan(330);
    expect(points[0]).toMatchObject({ requests: {}, local: 0, cloud: 0, errors: 0, spend_usd: 0, tokens: { prompt: 0, completion: 0 }, ttft_ms: {} });
    expect(targets).toEqual([HOME, MINI]);
  });
});

import { describe, expect, it } from "vitest";
import { adaptiveDeadline, percentile, promptScale, pushSample, summarize, windowBreaker, type PerfSample } from "./perf.js";

const ok = (at: number, ttftMs: number, tokensPerSecond = 50): PerfSample => ({ at, ok: true, ttftMs, tokensPerSecond });
const bad = (at: number, reason = "timeout"): PerfSample => ({ at, ok: false, reason });

describe("the sliding window", () => {
  it("keeps the newest samples up to its size", () => {
    let w: PerfSample[] = [];
    for (let i = 0; i < 105; i++) w = pushSample(w, ok(i, i), 100);
    expect(w).toHaveLength(100);
    expect(w[0]?.at).toBe(5);
    expect(w[99]?.at).toBe(104);
  });
  it("nearest-rank percentiles", () => {
    const s = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(s, 0.5), percentile(s, 0.95), percentile(s, 0.99), percentile(s, 1)]).toEqual([50, 95, 99, 100]);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });
  it("summarises error rate, readiness and percentiles; failures count, but not toward speed", () => {
    const s = summarize([ok(1, 100, 40), ok(2, 200, 60), bad(3), { ...bad(4), ttftMs: 1000 }], { minSamples: 4 });
    expect(s).toMatchObject({ samples: 4, failures: 2, errorRate: 0.5, ready: true });
    expect(s.ttftMs?.p50).toBe(200);
    expect(s.ttftMs?.p99).toBe(1000);
    expect(s.tokensPerSecond?.p50).toBe(40);
    expect(summarize([], { minSamples: 1 })).toMatchObject({ samples: 0, errorRate: 0, ready: false, ttftMs: undefined });
  });
});

describe("adaptiveDeadline", () => {
  const opts = { ceilingMs: 10_000, floorMs: 1_000, multiplier: 2 };
  it("uses the ceiling until there are enough samples", () => {
    expect(adaptiveDeadline(summarize([ok(1, 300)], { minSamples: 2 }), opts)).toMatchObject({ ms: 10_000, source: "default" });
  });
  it("is twice the p95, clamped", () => {
    const w = (ms: number) => summarize(Array.from({ length: 20 }, (_, i) => ok(i, ms)), { minSamples: 20 });
    expect(adaptiveDeadline(w(700), opts)).toMatchObject({ ms: 1_400, source: "observed" });
    expect(adaptiveDeadline(w(10), opts).ms).toBe(1_000);
    expect(adaptiveDeadline(w(8_000), opts).ms).toBe(10_000);
    expect(adaptiveDeadline(w(10), { ...opts, ceilingMs: 500 }).ms).toBe(500);
  });
});

describe("prompt size", () => {
  const w = summarize(Array.from({ length: 20 }, (_, i) => ({ ...ok(i, 200), promptTokens: 100 })), { minSamples: 20 });
  const opts = { ceilingMs: 10_000, floorMs: 100, multiplier: 2 };
  it("a prompt k times the usual size gets k times the usual deadline, never less than 1×", () => {
    expect(w.promptTokensP50).toBe(100);
    expect(promptScale(w, 1_000)).toBe(10);
    expect(promptScale(w, 10)).toBe(1);
    expect(promptScale(w, undefined)).toBe(1);
    expect(adaptiveDeadline(w, opts, 100).ms).toBe(400);
    expect(adaptiveDeadline(w, opts, 1_000).ms).toBe(4_000);
    expect(adaptiveDeadline(w, opts, 1_000).why).toMatch(/larger than usual/);
    expect(adaptiveDeadline(w, opts, 100_000).ms).toBe(10_000);
  });
  it("samples that do not know their prompt size do not scale", () => {
    const plain = summarize(Array.from({ length: 20 }, (_, i) => ok(i, 200)), { minSamples: 20 });
    expect(plain.promptTokensP50).toBeUndefined();
    expect(adaptiveDeadline(plain, opts, 100_000).ms).toBe(400);
  });
});

describe("windowBreaker", () => {
  const opts = { failureThreshold: 3, cooldownMs: 1_000 };
  it("opens on the last N failing, half-opens after the cool-down, closes on a success", () => {
    expect(windowBreaker([bad(1), bad(2)], 3, opts)).toBe("closed");
    expect(windowBreaker([ok(0, 1), bad(1), bad(2), bad(3)], 500, opts)).toBe("open");
    expect(windowBreaker([bad(1), bad(2), bad(3)], 1_003, opts)).toBe("half_open");
    expect(windowBreaker([bad(1), bad(2), bad(3), ok(4, 1)], 5, opts)).toBe("closed");
    expect(windowBreaker([bad(1), ok(2, 1), bad(3), bad(4)], 5, opts)).toBe("closed");
  });
});

import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY, backoffDelay, canFallBack, isRetryable, nextStep, parseRetryAfter } from "./retry.js";

const http = (status: number, retryAfterMs?: number) => ({ kind: "http" as const, status, retryAfterMs });

describe("isRetryable / canFallBack", () => {
  it.each([408, 409, 429, 500, 502, 503, 529])("retries http %i", (s) => expect(isRetryable(http(s))).toBe(true));
  it.each([400, 401, 403, 404, 413, 422])("does not retry http %i", (s) => expect(isRetryable(http(s))).toBe(false));
  it("retries dropped connections but not timeouts (the next target is the better bet)", () => {
    expect(isRetryable({ kind: "connection" })).toBe(true);
    expect(isRetryable({ kind: "timeout" })).toBe(false);
  });
  it.each([400, 413, 422])("does not fall back on %i: the request itself is bad", (s) => expect(canFallBack(http(s))).toBe(false));
  it.each([401, 403, 404, 429, 500])("falls back on %i", (s) => expect(canFallBack(http(s))).toBe(true));
  it("falls back when a target cannot take the request", () => expect(canFallBack({ kind: "unsupported" })).toBe(true));
});

describe("nextStep", () => {
  const half = () => 0.5;
  it("retries with jittered exponential backoff until attempts run out, then moves on", () => {
    expect(nextStep(http(503), 1, DEFAULT_RETRY, half)).toEqual({ action: "retry", delayMs: 188, reason: "http_503" });
    expect(nextStep(http(503), 2, DEFAULT_RETRY, half)).toEqual({ action: "retry", delayMs: 375, reason: "http_503" });
    expect(nextStep(http(503), 3, DEFAULT_RETRY, half)).toEqual({ action: "next", reason: "http_503" });
  });
  it("waits exactly what retry-after says", () => {
    expect(nextStep(http(429, 1500), 1)).toEqual({ action: "retry", delayMs: 1500, reason: "http_429" });
  });
  it("moves on at once when retry-after is longer than worth waiting", () => {
    expect(nextStep(http(429, 60_000), 1)).toEqual({ action: "next", reason: "retry_after_too_long" });
  });
  it("stops on a request the upstream judged malformed", () => {
    expect(nextStep(http(400), 1)).toEqual({ action: "stop", reason: "http_400" });
  });
  it("moves on from a timeout without retrying", () => {
    expect(nextStep({ kind: "timeout" }, 1)).toEqual({ action: "next", reason: "timeout" });
  });
  it("keeps backoff within the cap and the jitter band", () => {
    for (let retry = 0; retry < 10; retry++) {
      const lo = backoffDelay(retry, DEFAULT_RETRY, () => 0);
      const hi = backoffDelay(retry, DEFAULT_RETRY, () => 1);
      expect(hi).toBeLessThanOrEqual(DEFAULT_RETRY.maxDelayMs);
      expect(lo).toBe(Math.round(hi / 2));
    }
  });
});

describe("parseRetryAfter", () => {
  const headers = (h: Record<string, string>) => (n: string) => h[n];
  it("reads retry-after-ms first, then seconds, then an HTTP date", () => {
    expect(parseRetryAfter(headers({ "retry-after-ms": "250", "retry-after": "9" }))).toBe(250);
    expect(parseRetryAfter(headers({ "retry-after": "2" }))).toBe(2000);
    const now = Date.parse("2026-11-22T00:00:00Z");
    expect(parseRetryAfter(headers({ "retry-after": "Sun, 22 Nov 2026 00:00:03 GMT" }), now)).toBe(3000);
  });
  it("ignores junk and absent headers", () => {
    expect(parseRetryAfter(headers({}))).toBeUndefined();
    expect(parseRetryAfter(headers({ "retry-after": "soon" }))).toBeUndefined();
  });
});

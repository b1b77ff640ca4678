/**
 * "Retry this target, move to the next, or stop?" — one small pure decision, tested alone.
 */

/** How one upstream attempt failed, reduced to what the decision needs. */
export interface AttemptFailure {
  /**
   * `unsupported`: this target cannot take this request (checked before sending).
   * `unavailable`: the target is known not to be able to answer now (home offline, overloaded, loading…).
   */
  kind: "http" | "connection" | "timeout" | "unsupported" | "unavailable" | "invalid_response";
  /** A more specific token for traces (`offline`, `overloaded`…). Default: derived from kind/status. */
  reason?: string;
  /** Whether the target was actually called. Default: false for unsupported/unavailable, else true. */
  contacted?: boolean;
  status?: number;
  /** The upstream's own message, passed on when its error is the final answer. */
  message?: string;
  /** From the upstream's retry-after / retry-after-ms headers. */
  retryAfterMs?: number;
  /** The answer check that failed (kind `invalid_response`, reason `invalid_answer`). */
  check?: string;
}

export interface RetryOptions {
  /** Attempts on one target, the first included. Default: 3. */
  maxAttemptsPerTarget: number;
  /** First backoff delay; doubles each retry, with full jitter. Default: 250 ms. */
  baseDelayMs: number;
  /** Cap on one computed backoff delay. Default: 4,000 ms. */
  maxDelayMs: number;
  /** A retry-after longer than this moves on to the next target instead of waiting. Default: 10,000 ms. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttemptsPerTarget: 3,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
  maxRetryAfterMs: 10_000,
};

export type NextStep =
  | { action: "retry"; delayMs: number; reason: string }
  | { action: "next"; reason: string }
  | { action: "stop"; reason: string };

/** A short token naming the failure, used in traces: `http_429`, `connection`, `timeout`. */
export function failureReason(f: AttemptFailure): string {
  if (f.reason) return f.reason;
  return f.kind === "http" ? `http_${f.status ?? 0}` : f.kind;
}

/** Did this attempt reach the target (and so count as an attempt), or was it passed over? */
export function wasContacted(f: AttemptFailure): boolean {
  return f.contacted ?? !(f.kind === "unsupported" || f.kind === "unavailable");
}

/** Same target again might work: rate limits, conflicts, timeouts at the upstream, 5xx, dropped connections. */
export function isRetryable(f: AttemptFailure): boolean {
  if (f.kind === "connection") return true;
  if (f.kind !== "http" || f.status === undefined) return false;
  return f.status === 408 || f.status === 409 || f.status === 429 || f.status >= 500;
}

/**
 * Another target might work — everything except a request the upstream judged malformed,
 * which would fail the same way anywhere (400, 413, 422).
 */
export function canFallBack(f: AttemptFailure): boolean {
  if (f.kind !== "http") return true;
  return !(f.status === 400 || f.status === 413 || f.status === 422);
}

/** Exponential backoff with full jitter; `random` is injectable for tests. */
export function backoffDelay(retry: number, opts: RetryOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** retry);
  return Math.round(ceiling * (0.5 + random() / 2));
}

/**
 * After attempt number `attempt` (1-based) on a target failed: what next.
 * A retry-after header wins over computed backoff; one longer than the cap sends us onward.
 */
export function nextStep(
  failure: AttemptFailure,
  attempt: number,
  opts: RetryOptions = DEFAULT_RETRY,
  random: () => number = Math.random,
): NextStep {
  const reason = failureReason(failure);
  if (isRetryable(failure) && attempt < opts.maxAttemptsPerTarget) {
    if (failure.retryAfterMs !== undefined) {
      if (failure.retryAfterMs > opts.maxRetryAfterMs) return { action: "next", reason: "retry_after_too_long" };
      return { action: "retry", delayMs: failure.retryAfterMs, reason };
    }
    return { action: "retry", delayMs: backoffDelay(attempt - 1, opts, random), reason };
  }
  return canFallBack(failure) ? { action: "next", reason } : { action: "stop", reason };
}

/** Parses `retry-after-ms` or `retry-after` (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(
  header: (name: string) => string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const ms = header("retry-after-ms");
  if (ms != null && ms !== "" && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = header("retry-after");
  if (value == null || value === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

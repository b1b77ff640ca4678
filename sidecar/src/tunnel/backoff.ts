/**
 * Reconnect delays: exponential with full jitter, so a deploy that drops every sidecar at once does
 * not bring them all back in the same millisecond. Pure; `random` is injectable for tests.
 */
export interface BackoffOptions {
  /** First delay (ms). Default: 500. */
  baseMs: number;
  /** Longest delay (ms). Default: 30,000. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

/** Delay before reconnect attempt `attempt` (0-based): uniform in [ceiling/2, ceiling]. */
export function reconnectDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The Worker's connect URL from the base URL a user gives (`https://x` → `wss://x/v1/sidecar/connect`). */
export function connectUrl(base: string): string {
  const url = new URL(base);
  url.protocol = url.protocol === "https:" || url.protocol === "wss:" ? "wss:" : "ws:";
  url.pathname = `${url.pathname.replace(/\/+$/, "").replace(/\/v1$/, "")}/v1/sidecar/connect`;
  return url.toString();
}

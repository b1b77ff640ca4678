/**
 * Circuit breaker arithmetic, pure: a home machine that keeps timing out or failing is skipped for a
 * cool-down, then one probe request decides whether it is back.
 */
export interface BreakerState {
  status: "closed" | "open" | "half_open";
  /** Consecutive failures while closed. */
  failures: number;
  /** When it last opened (ms since epoch). */
  openedAt: number;
  /** A half-open probe is out; no second one until it reports. */
  probing: boolean;
}

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. Default: 3. */
  failureThreshold: number;
  /** How long it stays open before one probe is let through (ms). Default: 30,000. */
  cooldownMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 3, cooldownMs: 30_000 };
export const closedBreaker = (): BreakerState => ({ status: "closed", failures: 0, openedAt: 0, probing: false });

/** May a request go to this target now? Returns the state to keep (half-open starts a probe). */
export function admit(s: BreakerState, now: number, opts: BreakerOptions = DEFAULT_BREAKER): { allow: boolean; state: BreakerState } {
  if (s.status === "closed") return { allow: true, state: s };
  if (s.status === "open" && now - s.openedAt >= opts.cooldownMs) {
    return { allow: true, state: { ...s, status: "half_open", probing: true } };
  }
  if (s.status === "half_open" && !s.probing) return { allow: true, state: { ...s, probing: true } };
  return { allow: false, state: s };
}

/** Would admit() let a request through, without starting a probe (for planning and snapshots). */
export function wouldAdmit(s: BreakerState, now: number, opts: BreakerOptions = DEFAULT_BREAKER): boolean {
  return admit(s, now, opts).allow;
}

export function recordSuccess(): BreakerState {
  return closedBreaker();
}

export function recordFailure(s: BreakerState, now: number, opts: BreakerOptions = DEFAULT_BREAKER): BreakerState {
  if (s.status === "half_open") return { status: "open", failures: s.failures + 1, openedAt: now, probing: false };
  const failures = s.failures + 1;
  if (failures >= opts.failureThreshold) return { status: "open", failures, openedAt: now, probing: false };
  return { ...s, failures };
}

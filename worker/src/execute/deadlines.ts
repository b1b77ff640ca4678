/**
 * The three deadlines over an answer, and the reasons an attempt is stopped from outside. Each abort
 * carries one of these as its reason, so whoever reads the attempt next can tell a stall from a client
 * that left.
 */
import type { AttemptFailure } from "@hearth/shared";

/**
 * `first_token`: no content within the target's deadline. `idle`: the answer began, then nothing for
 * too long (a stall). `total`: the whole request ran out of time.
 */
export type DeadlineKind = "first_token" | "idle" | "total";

/** The trace reason of each deadline. */
const REASONS: Readonly<Record<DeadlineKind, string>> = { first_token: "timeout", idle: "idle_timeout", total: "total_timeout" };

const WHAT: Readonly<Record<DeadlineKind, string>> = {
  first_token: "no content",
  idle: "the answer stalled: nothing more",
  total: "the request's total deadline passed: no whole answer",
};

export class DeadlineExceeded extends Error {
  readonly kind: DeadlineKind;
  readonly ms: number;
  constructor(kind: DeadlineKind, ms: number) {
    super(`${WHAT[kind]} within ${ms} ms`);
    this.name = "DeadlineExceeded";
    this.kind = kind;
    this.ms = ms;
  }

  get failure(): AttemptFailure {
    return { kind: "timeout", reason: REASONS[this.kind], message: this.message };
  }
}

/** The client went away: nothing is retried or recorded as the target's fault. */
export class ClientClosed extends Error {
  constructor() {
    super("the client closed the request");
    this.name = "ClientClosed";
  }
}

/** This attempt lost a hedge race and was stopped. */
export class HedgeLost extends Error {
  constructor() {
    super("lost the hedge");
    this.name = "HedgeLost";
  }
}

/** The answer was read to its end (or given up by its reader): stop what is left of the source. */
export class ReadingDone extends Error {
  constructor() {
    super("the answer was read");
    this.name = "ReadingDone";
  }
}

/**
 * The request's own signal: aborts with ClientClosed when the client leaves and with
 * DeadlineExceeded("total") when the total deadline passes. `dispose()` stops the clock.
 */
export function requestSignal(client: AbortSignal, totalMs: number): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onClient = () => controller.abort(new ClientClosed());
  if (client.aborted) onClient();
  else client.addEventListener("abort", onClient, { once: true });
  const timer = setTimeout(() => controller.abort(new DeadlineExceeded("total", totalMs)), totalMs);
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      client.removeEventListener("abort", onClient);
    },
  };
}

/** What an attempt is stopped through: its signal, and abort(reason). */
export type Stopper = Pick<AbortController, "signal" | "abort">;

/**
 * A controller that also aborts (with the same reason) when `parent` does. One listener on the parent
 * (the request), never removed: the request lives no longer than its attempts do. (AbortSignal.any,
 * which would do the same, was the costliest line of an attempt in the profile.)
 */
export function childController(parent: AbortSignal): Stopper {
  const controller = new AbortController();
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener("abort", () => controller.abort(parent.reason), { once: true });
  return controller;
}

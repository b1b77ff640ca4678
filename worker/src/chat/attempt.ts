/**
 * One upstream attempt with a deadline. The deadline is Hearth's own timer (not only the SDK's), so
 * "no first chunk in time" is detected the same way for every provider and counted as a timeout.
 */
import type { AttemptFailure } from "@hearth/shared";

export class AttemptTimeout extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "AttemptTimeout";
  }
}

export interface Deadline {
  /** The deadline's length (ms). */
  readonly ms: number;
  /** Aborts when the client goes away or the deadline passes. */
  signal: AbortSignal;
  /** True once the deadline (not the client) aborted. */
  readonly timedOut: boolean;
  /** Stop the clock (the answer has started); the signal still follows the client. */
  clear(): void;
}

export function startDeadline(ms: number, parent: AbortSignal): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const onParentAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener("abort", onParentAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new AttemptTimeout(ms));
  }, ms);
  return {
    ms,
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    clear: () => clearTimeout(timer),
  };
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts (the client left during a backoff). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export function timeoutFailure(ms: number): AttemptFailure {
  return { kind: "timeout", message: `no answer within ${ms} ms` };
}

/**
 * Hedging: the plan's first target (home) starts alone; if it has not begun answering after `afterMs`,
 * the backup (the cloud) starts beside it, and the first to begin answering is kept. The other is
 * stopped — a home generation cancelled at home — and shows in the trace as `cancelled`.
 *
 * A small wrapper around attempts: every racer's result goes through the run's own `settle`, so a
 * hedge obeys the same decisions as any attempt (a 400 stops the request, a 429 is retried later).
 */
import type { PlannedTarget } from "@hearth/shared";
import type { AttemptResult, Commit } from "./attempt.js";
import { HedgeLost, childController, type Stopper } from "./deadlines.js";

export interface HedgeHooks {
  /** Starts one attempt on `target`, stopped when `signal` aborts. */
  start(target: PlannedTarget, signal: AbortSignal): Promise<AttemptResult>;
  /** Books a racer's result as the run books any attempt: its commit, or undefined; throws to stop the request. */
  settle(target: PlannedTarget, result: AttemptResult): Commit | undefined;
  /** The racer that lost was stopped after `ms`. */
  lost(target: PlannedTarget, ms: number): void;
}

interface Racer {
  target: PlannedTarget;
  controller: Stopper;
  result: Promise<AttemptResult>;
}

function race(parent: AbortSignal, target: PlannedTarget, hooks: HedgeHooks): Racer {
  const controller = childController(parent);
  const result = hooks.start(target, controller.signal);
  // A racer nobody awaits any more must not surface as an unhandled rejection.
  result.catch(() => undefined);
  return { target, controller, result };
}

/** Stop a racer: abort it, and if it had begun answering anyway, close that answer. */
function stop(r: Racer): void {
  r.controller.abort(new HedgeLost());
  void r.result.then((res) => res.ok && res.commit.reader.close(new HedgeLost()), () => undefined);
}

export async function runHedge(signal: AbortSignal, primary: PlannedTarget, backup: PlannedTarget, afterMs: number, hooks: HedgeHooks): Promise<Commit | undefined> {
  const t0 = Date.now();
  const p = race(signal, primary, hooks);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const due = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, afterMs, undefined)));
  const early = await Promise.race([p.result, due]).finally(() => clearTimeout(timer));
  // Home settled before the hedge was due: an ordinary attempt.
  if (early) return hooks.settle(primary, early);
  const b = race(signal, backup, hooks);
  const tagged = (r: Racer) => r.result.then((res) => ({ racer: r, res }));
  const first = await Promise.race([tagged(p), tagged(b)]);
  const other = first.racer === p ? b : p;
  if (first.res.ok) {
    // The loser is booked first: the trace reads "stopped, then served".
    stop(other);
    hooks.lost(other.target, Date.now() - t0);
    return hooks.settle(first.racer.target, first.res);
  }
  try {
    hooks.settle(first.racer.target, first.res);
  } catch (err) {
    stop(other);
    throw err;
  }
  return hooks.settle(other.target, await other.result);
}

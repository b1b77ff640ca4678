/**
 * Hedging: home goes first; if it has not started answering after `afterMs` (its usual p95), the
 * cloud starts beside it, and whichever starts answering first is kept. The other is stopped — a
 * home generation is cancelled at home — and shows in the trace as `cancelled` with `hedge_lost`.
 * Off unless the user's policy turns it on (it can pay for a cloud answer nobody reads).
 */
import type { PlannedTarget } from "@hearth/shared";
import { attempt, noteFailure, served, type AttemptResult, type Run, type Served } from "./execute.js";
import { rejected } from "./exhausted.js";

export interface HedgeOutcome<T> {
  served?: Served<T>;
  /** The backup was started (so the plan need not try it again). */
  backupTried: boolean;
}

interface Racer<T> {
  target: PlannedTarget;
  controller: AbortController;
  result: Promise<AttemptResult<T>>;
}

/** An attempt that stops when the client leaves or when it loses the race. */
function start<T>(run: Run<T>, target: PlannedTarget): Racer<T> {
  const controller = new AbortController();
  return { target, controller, result: attempt(run, target, AbortSignal.any([run.opts.signal, controller.signal])) };
}

/** The loser: stop it, release its answer if it started anyway, note it in the trace. */
function stopLoser<T>(run: Run<T>, loser: Racer<T>, startedAt: number): void {
  loser.controller.abort(new Error("lost the hedge"));
  run.attempts++;
  run.trace.push({ target: loser.target.id, outcome: "cancelled", reason: "hedge_lost", ms: Date.now() - startedAt });
  loser.result.then(
    (r) => {
      if (r.ok) run.opts.discard?.(r.value);
    },
    () => undefined,
  );
}

export async function runHedge<T>(run: Run<T>, primary: PlannedTarget, backup: PlannedTarget, afterMs: number): Promise<HedgeOutcome<T>> {
  const t0 = Date.now();
  const p = start(run, primary);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const due = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), afterMs);
  });
  const early = await Promise.race([p.result, due]);
  clearTimeout(timer);
  if (early) {
    // Home settled before the hedge was due: an ordinary attempt.
    if (early.ok) return { served: served(run, primary, early.value, early.ms), backupTried: false };
    const next = noteFailure(run, primary, early, 1);
    if (next.action === "stop") throw rejected(primary, early.failure, run.trace);
    return { backupTried: false };
  }
  const b = start(run, backup);
  const tagged = (r: Racer<T>) => r.result.then((res) => ({ racer: r, res }));
  const first = await Promise.race([tagged(p), tagged(b)]);
  const other = first.racer === p ? b : p;
  if (first.res.ok) {
    stopLoser(run, other, t0);
    return { served: served(run, first.racer.target, first.res.value, first.res.ms), backupTried: true };
  }
  noteFailure(run, first.racer.target, first.res, 1);
  const second = await other.result;
  if (second.ok) return { served: served(run, other.target, second.value, second.ms), backupTried: true };
  noteFailure(run, other.target, second, 1);
  return { backupTried: true };
}

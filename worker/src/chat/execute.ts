/**
 * Runs a route plan: each target in order, retries per the shared decision function, until one
 * answers — with an optional hedge (a backup started beside a slow first target, first to answer
 * wins). Returns the answer with the trace of every attempt; throws a HearthError naming every
 * target's reason when none could.
 */
import {
  HearthError,
  nextStep,
  wasContacted,
  type AttemptFailure,
  type AttemptSummary,
  type PlannedTarget,
  type RetryOptions,
  type RoutePlan,
} from "@hearth/shared";
import { providers } from "../providers/registry.js";
import type { Provider, ProviderConfig } from "../providers/types.js";
import { sleep, startDeadline, timeoutFailure, type Deadline } from "./attempt.js";
import { exhausted, rejected } from "./exhausted.js";
import { runHedge } from "./hedge.js";
import { StreamEndedEarly } from "./sse.js";

export interface ExecuteOptions<T> {
  retry: RetryOptions;
  /** Per-attempt deadline (ms) until `call` resolves, per target. */
  timeoutMs: (target: PlannedTarget) => number;
  /** The client's signal: when it aborts, everything stops. */
  signal: AbortSignal;
  env: Env;
  /** Releases an answer nobody will read (a hedge's loser that started anyway). */
  discard?: (value: T) => void;
}

/** Given a target, start the work; resolve once it has *started answering* (then the attempt counts as served). */
export type AttemptCall<T> = (p: { provider: Provider; config: ProviderConfig; target: PlannedTarget; deadline: Deadline }) => Promise<T>;

export interface Served<T> {
  value: T;
  target: PlannedTarget;
  trace: AttemptSummary[];
  /** Upstream calls made, retries included. */
  attempts: number;
}

export type AttemptResult<T> = { ok: true; value: T; ms: number } | { ok: false; failure: AttemptFailure; ms: number };

/** One run of a plan: what the attempts so far left behind. */
export interface Run<T> {
  call: AttemptCall<T>;
  opts: ExecuteOptions<T>;
  trace: AttemptSummary[];
  failures: AttemptFailure[];
  attempts: number;
}

/** One attempt on one target, its failure reduced to what the retry decision needs. `signal` may end it early. */
export async function attempt<T>(run: Run<T>, target: PlannedTarget, signal: AbortSignal): Promise<AttemptResult<T>> {
  const provider = providers[target.provider];
  const cfg = provider.config(run.opts.env);
  // The planner already skipped unconfigured providers; this satisfies the types.
  if (!cfg) return { ok: false, failure: { kind: "unavailable", reason: "not_configured" }, ms: 0 };
  const started = Date.now();
  const timeoutMs = run.opts.timeoutMs(target);
  const deadline = startDeadline(timeoutMs, signal);
  try {
    const value = await run.call({ provider, config: cfg, target, deadline });
    return { ok: true, value, ms: Date.now() - started };
  } catch (err) {
    if (run.opts.signal.aborted) throw err; // the client left: nothing to fall back for
    if (err instanceof HearthError) throw err; // Hearth's own verdict on the request (e.g. bad tool arguments)
    const failure = deadline.timedOut
      ? timeoutFailure(timeoutMs)
      : err instanceof StreamEndedEarly
        ? { kind: "connection" as const, message: err.message }
        : provider.classifyError(err);
    return { ok: false, failure, ms: Date.now() - started };
  } finally {
    deadline.clear();
  }
}

/** Writes a failed attempt into the run and says what to do next. */
export function noteFailure<T>(run: Run<T>, target: PlannedTarget, r: Extract<AttemptResult<T>, { ok: false }>, attemptNo: number) {
  const next = nextStep(r.failure, attemptNo, run.opts.retry);
  const contacted = wasContacted(r.failure);
  if (contacted) run.attempts++;
  run.trace.push({
    target: target.id,
    outcome: contacted ? "failed" : "skipped",
    reason: next.reason,
    ...(r.failure.status !== undefined ? { status: r.failure.status } : {}),
    ms: r.ms,
  });
  run.failures.push(r.failure);
  return next;
}

export function served<T>(run: Run<T>, target: PlannedTarget, value: T, ms: number): Served<T> {
  run.attempts++;
  run.trace.push({ target: target.id, outcome: "served", reason: "ok", status: 200, ms });
  return { value, target, trace: run.trace, attempts: run.attempts };
}

/** The plan's steps in its order: each target to try, or the reason it was left out up front. */
function* steps(plan: RoutePlan): Generator<{ target: PlannedTarget } | { skipped: AttemptSummary }> {
  const seen = new Set<string>();
  for (const id of plan.order) {
    if (seen.has(id)) continue;
    seen.add(id);
    const skipped = plan.skipped.find((s) => s.target === id);
    const target = plan.targets.find((t) => t.id === id);
    if (skipped) yield { skipped };
    else if (target) yield { target };
  }
}

/** Tries one target, retrying as the decision function says; returns the answer, or undefined to move on. */
async function runTarget<T>(run: Run<T>, target: PlannedTarget): Promise<Served<T> | undefined> {
  for (let n = 1; ; n++) {
    const r = await attempt(run, target, run.opts.signal);
    if (r.ok) return served(run, target, r.value, r.ms);
    const next = noteFailure(run, target, r, n);
    if (next.action === "retry") {
      await sleep(next.delayMs, run.opts.signal);
      continue;
    }
    if (next.action === "stop") throw rejected(target, r.failure, run.trace);
    return undefined;
  }
}

export async function executePlan<T>(plan: RoutePlan, call: AttemptCall<T>, opts: ExecuteOptions<T>): Promise<Served<T>> {
  // The trace follows the plan's order: skips decided up front sit where their target stood.
  const run: Run<T> = { call, opts, trace: [], failures: [], attempts: 0 };
  const done = new Set<string>();
  for (const step of steps(plan)) {
    if ("skipped" in step) {
      run.trace.push(step.skipped);
      continue;
    }
    const { target } = step;
    if (done.has(target.id)) continue;
    const hedge = plan.hedge?.primary === target.id ? plan.targets.find((t) => t.id === plan.hedge?.backup) : undefined;
    if (hedge && plan.hedge) {
      const h = await runHedge(run, target, hedge, plan.hedge.afterMs);
      if (h.served) return h.served;
      if (h.backupTried) done.add(hedge.id);
      continue;
    }
    const answer = await runTarget(run, target);
    if (answer) return answer;
  }
  throw exhausted(run.failures, run.trace);
}

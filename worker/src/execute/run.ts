/**
 * Runs a route plan: its targets in order, each retried as the shared decision function says, until
 * one begins answering — and, when that answer breaks before it is whole (the reader reports it with
 * `broke()`), on from there: the same target again if the decision says so, else the next. With the
 * plan's hedge, the first target's first attempt races a backup. Every attempt, skip and break lands
 * in the trace, in plan order. Pure control flow over openers: no network of its own.
 */
import {
  nextStep,
  wasContacted,
  type AttemptFailure,
  type AttemptSummary,
  type HearthError,
  type PlannedTarget,
  type RetryOptions,
  type RoutePlan,
} from "@hearth/shared";
import type { Chunk } from "../stream/chunks.js";
import type { OpenerFor } from "./opener.js";
import { attempt, failureOf, type AttemptResult, type Commit } from "./attempt.js";
import { DeadlineExceeded } from "./deadlines.js";
import { exhausted, rejected } from "./exhausted.js";
import { runHedge } from "./hedge.js";

export interface RunOptions {
  retry: RetryOptions;
  /** The request's signal: aborts with ClientClosed when the client leaves, DeadlineExceeded("total") at the total deadline. */
  signal: AbortSignal;
  /** Once an answer began, the longest silence between its chunks (ms). */
  idleMs: number;
  /** A target's first-content deadline for this run (ms). Default: the plan's. */
  firstContentMs?: (target: PlannedTarget) => number;
  /** Waits between retries. Default: a timer that the signal cuts short. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Whether a batch shows an answer has begun. Default: a substantive chunk (what a chat client sees). */
  begun?: (batch: Chunk[]) => boolean;
}

type Step = { target: PlannedTarget } | { skipped: AttemptSummary };

/** The plan's steps in its order: each target to try, or the reason it was left out up front. */
function stepsOf(plan: RoutePlan): Step[] {
  const out: Step[] = [];
  const seen = new Set<string>();
  for (const id of plan.order) {
    if (seen.has(id)) continue;
    seen.add(id);
    const skipped = plan.skipped.find((s) => s.target === id);
    const target = plan.targets.find((t) => t.id === id);
    if (skipped) out.push({ skipped });
    else if (target) out.push({ target });
  }
  return out;
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export class PlanRun {
  readonly trace: AttemptSummary[] = [];
  readonly failures: AttemptFailure[] = [];
  /** Upstream calls made: retries, hedge losers and answers that broke included. */
  attempts = 0;
  readonly #plan: RoutePlan;
  readonly #openerFor: OpenerFor;
  readonly #opts: RunOptions;
  readonly #steps: Step[];
  #i = 0;
  readonly #tries = new Map<string, number>();
  readonly #done = new Set<string>();
  #delayMs = 0;
  /** The trace entry of each commit, to mark it broken later. */
  readonly #entries = new WeakMap<Commit, AttemptSummary>();

  constructor(plan: RoutePlan, openerFor: OpenerFor, opts: RunOptions) {
    this.#plan = plan;
    this.#openerFor = openerFor;
    this.#opts = opts;
    this.#steps = stepsOf(plan);
  }

  /**
   * The next attempt that begins answering, or undefined when no target is left (or the total deadline
   * passed). `prefix`: continue an answer that begins with it. Throws ClientClosed when the client
   * left, and the upstream's verdict when one rejected the request itself (a 400).
   */
  async next(prefix?: string): Promise<Commit | undefined> {
    const { signal } = this.#opts;
    try {
      while (this.#i < this.#steps.length && !signal.aborted) {
        const step = this.#steps[this.#i] as Step;
        if ("skipped" in step) {
          this.trace.push(step.skipped);
          this.#i++;
          continue;
        }
        const { target } = step;
        if (this.#done.has(target.id)) {
          this.#i++;
          continue;
        }
        if (this.#delayMs > 0) await (this.#opts.sleep ?? sleep)(this.#delayMs, signal);
        this.#delayMs = 0;
        const commit = await this.#turn(target, prefix);
        if (commit) return commit;
      }
    } catch (err) {
      if (!(signal.reason instanceof DeadlineExceeded && err === signal.reason)) throw err;
    }
    if (signal.aborted) {
      // Out of time (the client leaving was thrown above, by whoever saw it first).
      if (!(signal.reason instanceof DeadlineExceeded)) throw signal.reason;
      if (!this.failures.some((f) => f.reason === "total_timeout")) this.failures.push(signal.reason.failure);
    }
    return undefined;
  }

  /**
   * The answer of `commit` broke or stalled before it was whole (`err` is what the reader threw). Its
   * trace entry becomes `broken`; the decision function says whether its target may be tried again.
   * Throws ClientClosed if the client left, and the upstream's verdict if it was a rejection.
   */
  broke(commit: Commit, err: unknown): AttemptFailure {
    const f = failureOf(err, commit.reader.signal, commit.classify);
    const next = nextStep(f, this.#tries.get(commit.target.id) ?? 1, this.#opts.retry);
    const entry = this.#entries.get(commit);
    if (entry) Object.assign(entry, { outcome: "broken", reason: next.reason, ms: Date.now() - commit.startedAt, ...(f.check ? { check: f.check } : {}) });
    this.failures.push(f);
    this.#decide(commit.target, f, next);
    return f;
  }

  /** Why nothing (more) could answer, as the error to give the client. */
  exhausted(): HearthError {
    return exhausted(this.failures, this.trace, this.#plan);
  }

  /** One turn of a target: an attempt, or the plan's hedge when this is its primary's first. */
  async #turn(target: PlannedTarget, prefix: string | undefined): Promise<Commit | undefined> {
    const hedge = this.#plan.hedge;
    const backup = hedge && hedge.primary === target.id && prefix === undefined && !this.#tries.has(target.id) ? this.#plan.targets.find((t) => t.id === hedge.backup && !this.#tries.has(t.id)) : undefined;
    if (!hedge || !backup) return this.#settle(target, await this.#start(target, this.#opts.signal, prefix));
    return runHedge(this.#opts.signal, target, backup, hedge.afterMs, {
      start: (t, s) => this.#start(t, s, undefined),
      settle: (t, r) => this.#settle(t, r),
      lost: (t, ms) => {
        this.attempts++;
        this.trace.push({ target: t.id, outcome: "cancelled", reason: "hedge_lost", ms });
      },
    });
  }

  #start(target: PlannedTarget, signal: AbortSignal, prefix: string | undefined): Promise<AttemptResult> {
    this.#tries.set(target.id, (this.#tries.get(target.id) ?? 0) + 1);
    return attempt(this.#openerFor(target), {
      signal,
      firstContentMs: this.#opts.firstContentMs?.(target) ?? target.deadlineMs,
      idleMs: this.#opts.idleMs,
      ...(prefix !== undefined ? { prefix } : {}),
      ...(this.#opts.begun ? { begun: this.#opts.begun } : {}),
    });
  }

  /** Books one attempt's result: its commit, or the failure and what to do next. */
  #settle(target: PlannedTarget, r: AttemptResult): Commit | undefined {
    if (r.ok) {
      this.attempts++;
      const entry: AttemptSummary = { target: target.id, outcome: "served", reason: "ok", ...(target.pick ? { pick: target.pick } : {}), status: 200, ms: r.commit.ms };
      this.trace.push(entry);
      this.#entries.set(r.commit, entry);
      return r.commit;
    }
    const f = r.failure;
    const next = nextStep(f, this.#tries.get(target.id) ?? 1, this.#opts.retry);
    const contacted = wasContacted(f);
    if (contacted) this.attempts++;
    this.trace.push({
      target: target.id,
      outcome: contacted ? "failed" : "skipped",
      reason: next.reason,
      ...(target.pick ? { pick: target.pick } : {}),
      ...(f.status !== undefined ? { status: f.status } : {}),
      ...(f.check ? { check: f.check } : {}),
      ms: r.ms,
    });
    this.failures.push(f);
    this.#decide(target, f, next);
    return undefined;
  }

  #decide(target: PlannedTarget, f: AttemptFailure, next: ReturnType<typeof nextStep>): void {
    if (next.action === "retry") this.#delayMs = next.delayMs;
    else if (next.action === "next") this.#done.add(target.id);
    else throw rejected(target, f, this.trace);
  }
}

/**
 * Runs a route plan: each target in order, retries per the shared decision function, until one
 * answers. Returns the answer with the trace of every attempt; throws a HearthError naming every
 * target's reason when none could.
 */
import {
  HearthError,
  nextStep,
  wasContacted,
  type AttemptFailure,
  type AttemptSummary,
  type RetryOptions,
  type RoutePlan,
  type Target,
} from "@hearth/shared";
import { providers } from "../providers/registry.js";
import type { Provider, ProviderConfig } from "../providers/types.js";
import { sleep, startDeadline, timeoutFailure, type Deadline } from "./attempt.js";
import { StreamEndedEarly } from "./sse.js";

export interface ExecuteOptions {
  retry: RetryOptions;
  /** Per-attempt deadline (ms) until `call` resolves, per target. */
  timeoutMs: (target: Target) => number;
  /** The client's signal: when it aborts, everything stops. */
  signal: AbortSignal;
  env: Env;
}

/** Given a target, start the work; resolve once it has *started answering* (then the attempt counts as served). */
export type AttemptCall<T> = (p: { provider: Provider; config: ProviderConfig; target: Target; deadline: Deadline }) => Promise<T>;

export interface Served<T> {
  value: T;
  target: Target;
  trace: AttemptSummary[];
  /** Upstream calls made, retries included. */
  attempts: number;
}

/** The plan's steps in its order: each target to try, or the reason it was left out up front. */
function* steps(plan: RoutePlan): Generator<{ target: Target } | { skipped: AttemptSummary }> {
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

export async function executePlan<T>(plan: RoutePlan, call: AttemptCall<T>, opts: ExecuteOptions): Promise<Served<T>> {
  // The trace follows the plan's order: skips decided up front sit where their target stood.
  const trace: AttemptSummary[] = [];
  const failures: AttemptFailure[] = [];
  let attempts = 0;
  for (const step of steps(plan)) {
    if ("skipped" in step) {
      trace.push(step.skipped);
      continue;
    }
    const { target } = step;
    const provider = providers[target.provider];
    const cfg = provider.config(opts.env);
    if (!cfg) continue; // planRoute already skipped unconfigured providers; this satisfies the types.
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      const timeoutMs = opts.timeoutMs(target);
      const deadline = startDeadline(timeoutMs, opts.signal);
      try {
        const value = await call({ provider, config: cfg, target, deadline });
        attempts++;
        trace.push({ target: target.id, outcome: "served", reason: "ok", status: 200, ms: Date.now() - started });
        return { value, target, trace, attempts };
      } catch (err) {
        if (opts.signal.aborted) throw err; // the client left: nothing to fall back for
        if (err instanceof HearthError) throw err; // Hearth's own verdict on the request (e.g. bad tool arguments)
        const failure = deadline.timedOut
          ? timeoutFailure(timeoutMs)
          : err instanceof StreamEndedEarly
            ? { kind: "connection" as const, message: err.message }
            : provider.classifyError(err);
        const next = nextStep(failure, attempt, opts.retry);
        const contacted = wasContacted(failure);
        if (contacted) attempts++;
        trace.push({
          target: target.id,
          outcome: contacted ? "failed" : "skipped",
          reason: next.reason,
          ...(failure.status !== undefined ? { status: failure.status } : {}),
          ms: Date.now() - started,
        });
        failures.push(failure);
        if (next.action === "retry") {
          await sleep(next.delayMs, opts.signal);
          continue;
        }
        if (next.action === "stop") throw rejected(target, failure, trace);
        break;
      } finally {
        deadline.clear();
      }
    }
  }
  throw exhausted(plan, failures, trace);
}

/** The upstream judged the request itself bad: pass its status and message on, marked as relayed. */
function rejected(target: Target, f: AttemptFailure, trace: AttemptSummary[]): HearthError {
  return new HearthError("upstream_error", `${target.id} rejected the request: ${f.message ?? "no message"}`, {
    status: f.status ?? 502,
    attempts: trace,
  });
}

/** Home reasons that mean "it broke" (a 502), not "not now" (a 503). */
const BROKEN: ReadonlySet<string> = new Set(["error", "disconnected"]);

/**
 * No target answered: 400 when no target can take this request at all, 503 when none could be tried,
 * 429/504 when all said so, else 502.
 */
function exhausted(plan: RoutePlan, failures: AttemptFailure[], trace: AttemptSummary[]): HearthError {
  const summary = trace.filter((t) => t.outcome !== "served").map((t) => `${t.target}: ${t.reason}`).join("; ");
  if (failures.length > 0 && failures.every((f) => f.kind === "unsupported")) {
    const detail = failures.map((f) => f.message).filter(Boolean).join("; ");
    return new HearthError("unsupported_parameter", `No target can take this request (${detail || summary}).`, { attempts: trace });
  }
  // Nothing was tried, or everything said "not now" (home offline, busy, loading): unavailable, not broken.
  if (failures.every((f) => !wasContacted(f) || (f.kind === "unavailable" && !BROKEN.has(f.reason ?? "")))) {
    return new HearthError("no_target_available", `No target is available now (${summary || "nothing to try"}).${hints(trace)}`, {
      attempts: trace,
    });
  }
  if (failures.every((f) => f.kind === "http" && f.status === 429)) {
    const waits = failures.map((f) => f.retryAfterMs ?? 1000);
    return new HearthError("upstream_rate_limited", `Every target is rate limited (${summary}).`, {
      attempts: trace,
      retryAfterSeconds: Math.max(1, Math.min(...waits) / 1000),
    });
  }
  if (failures.every((f) => f.kind === "timeout")) {
    return new HearthError("upstream_timeout", `Every target timed out (${summary}).`, { attempts: trace });
  }
  return new HearthError("upstream_error", `No target could answer (${summary}).`, { attempts: trace });
}

/** What an operator or user can do about targets that were passed over. */
function hints(trace: AttemptSummary[]): string {
  const reasons = new Set(trace.map((t) => t.reason));
  let out = "";
  if (reasons.has("not_configured")) {
    out += " Set OPENAI_API_KEY or ANTHROPIC_API_KEY (wrangler secret put) to enable cloud targets, or the user's autoTargets policy.";
  }
  if (reasons.has("offline")) out += " No sidecar is connected: start it on your machine to answer at home.";
  if (reasons.has("policy_local_only")) out += " The user's policy is local_only: the cloud is never used.";
  return out;
}

/**
 * Which of a request's trace entries are outcomes of home's *answer* — what the learned offset
 * (learn.ts) counts — and which are not.
 *
 * Keyed on the entry's reason, not on how it failed: home answered and the answer was no good (an
 * error, a timeout to the first token, a stall, a stream that broke off, and an answer that failed
 * its contract, `invalid_answer`, from the checks of home's answers) is `bad`; home answered it
 * whole is `good`. Home never getting to answer says nothing about its answers: passed over up front
 * (offline, loading, busy, its breaker, the prompt too long, no tool support), a hedge it lost, a
 * cloud-only policy. A reason not listed either way counts as bad, so a new kind of failed answer is
 * learned from without a change here.
 */
import type { AttemptSummary } from "../errors.js";

/** Reasons that say home did not get to answer (its answer's quality is unknown). */
export const NOT_AN_ANSWER: ReadonlySet<string> = new Set([
  // passed over before any attempt (routing/local.ts LocalRefusal, planner gates)
  "offline",
  "overloaded",
  "loading",
  "draining",
  "breaker_open",
  "context_too_long",
  "no_tool_support",
  "no_such_model",
  "unsupported",
  "not_configured",
  "policy_cloud_only",
  "private",
  "budget",
  // stopped from outside: another target won the race, or the client left
  "hedge_lost",
  "client_closed",
]);

/** Reasons that are a failed answer from home, named here so the list reads whole (any other reason is bad too). */
export const FAILED_ANSWER: ReadonlySet<string> = new Set(["error", "timeout", "idle_timeout", "total_timeout", "disconnected", "connection", "invalid_answer"]);

export interface HomeOutcome {
  /** The local model id (without `local/`). */
  model: string;
  bad: boolean;
  /** The first reason it failed (when bad). */
  reason?: string;
}

/**
 * Home's answer outcomes in one request's trace: at most one per local model (retries of the same
 * model in one request are one outcome, bad if any attempt of it failed), in trace order.
 */
export function homeOutcomes(trace: readonly AttemptSummary[]): HomeOutcome[] {
  const byModel = new Map<string, HomeOutcome>();
  for (const e of trace) {
    if (!e.target.startsWith("local/")) continue;
    const model = e.target.slice("local/".length);
    const known = byModel.get(model);
    if (e.outcome === "served") {
      if (!known) byModel.set(model, { model, bad: false });
      continue;
    }
    if ((e.outcome !== "failed" && e.outcome !== "broken") || NOT_AN_ANSWER.has(e.reason)) continue;
    if (!known?.bad) byModel.set(model, { model, bad: true, reason: e.reason });
  }
  return [...byModel.values()];
}

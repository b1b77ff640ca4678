/**
 * The error when a plan ends without a whole answer: which HTTP meaning fits what every target said.
 *   400  no target this request may use can ever take it (context too long, tools unsupported…)
 *   503  nothing can take it right now (home offline, busy, loading), with retry-after
 *   429  every target was rate limited;  504  every target timed out;  502  otherwise
 */
import { HearthError, isLocalTarget, shortfallMessage, wasContacted, type AttemptFailure, type AttemptSummary, type ErrorCode, type RoutePlan, type Target } from "@hearth/shared";

/** The upstream judged the request itself bad: pass its status and message on, marked as relayed. */
export function rejected(target: Target, f: AttemptFailure, trace: AttemptSummary[]): HearthError {
  return new HearthError("upstream_error", `${target.id} rejected the request: ${f.message ?? "no message"}`, {
    status: f.status ?? 502,
    attempts: trace,
  });
}

/** Reasons a target leaves a request out whatever happens next: the request must change, not the timing. */
const PERMANENT: Readonly<Record<string, { code: ErrorCode; param?: string; says: string }>> = {
  context_too_long: { code: "context_length_exceeded", param: "messages", says: "the prompt is longer than the context of every model that may serve it" },
  no_tool_support: { code: "unsupported_parameter", param: "tools", says: "no model that may serve it can call tools" },
  unsupported: { code: "unsupported_parameter", says: "no target that may serve it supports what it asks for" },
};

/** Reasons set by configuration or policy rather than by the target: they say nothing about the request. */
const CONFIGURED_OUT: ReadonlySet<string> = new Set(["not_configured", "private", "policy_local_only", "policy_cloud_only"]);

/** Home reasons that mean "it broke" (a 502), not "not now" (a 503). */
const BROKEN: ReadonlySet<string> = new Set(["error", "disconnected"]);

/** Seconds worth waiting before trying again, by what stood in the way. */
const RETRY_AFTER_S: Readonly<Record<string, number>> = { overloaded: 1, loading: 5, draining: 5, offline: 10, breaker_open: 30 };

function permanent(failures: AttemptFailure[], trace: AttemptSummary[], context: RoutePlan["context"]): HearthError | undefined {
  const relevant = trace.filter((t) => t.outcome !== "served" && !CONFIGURED_OUT.has(t.reason));
  if (relevant.length === 0 || !relevant.every((t) => t.reason in PERMANENT)) return undefined;
  // The most specific reason names what to change.
  const reason = ["context_too_long", "no_tool_support", "unsupported"].find((r) => relevant.some((t) => t.reason === r)) ?? "unsupported";
  // Home's context: say whether the prompt or only the answer's room does not fit, and what max_tokens would.
  const measured = reason === "context_too_long" && context ? { code: "context_length_exceeded" as const, ...shortfallMessage(context) } : undefined;
  const p = measured ?? PERMANENT[reason] ?? { code: "unsupported_parameter" as const, says: "no target can take it" };
  const said = failures.map((f) => f.message).filter(Boolean);
  const detail = [...relevant.map((t) => `${t.target}: ${t.reason}`), ...said].join("; ");
  return new HearthError(p.code, `This request cannot be served: ${p.says} (${detail}).`, { attempts: trace, ...(p.param ? { param: p.param } : {}) });
}

/**
 * The budget left the cloud out and no cloud target was called: the budget is why nothing answered.
 * `home_only` with home in the plan: 503 (home could not answer now); otherwise 429 until the budget's
 * period starts again.
 */
function overBudget(budget: RoutePlan["budget"], trace: AttemptSummary[], summary: string): HearthError | undefined {
  if (!budget || trace.some((t) => !isLocalTarget(t.target) && t.outcome !== "skipped")) return undefined;
  const home = trace.filter((t) => isLocalTarget(t.target));
  if (budget.onExceeded === "home_only" && home.length > 0) {
    const waits = home.map((t) => RETRY_AFTER_S[t.reason]).filter((s): s is number => s !== undefined);
    return new HearthError("budget_exceeded_home_unavailable", `The cloud budget is reached, so only home may answer, and home cannot now (${summary}).`, {
      attempts: trace,
      ...(waits.length > 0 ? { retryAfterSeconds: Math.min(...waits) } : {}),
    });
  }
  return new HearthError("budget_exceeded", `The cloud budget is reached: cloud targets are refused until it starts again (${summary}).`, {
    attempts: trace,
    ...(budget.retryAfterSeconds !== undefined ? { retryAfterSeconds: budget.retryAfterSeconds } : {}),
  });
}

/** @param plan what the plan knew beyond the trace: the budget that left the cloud out, home's context shortfall */
export function exhausted(failures: AttemptFailure[], trace: AttemptSummary[], plan: Pick<RoutePlan, "budget" | "context"> = {}): HearthError {
  const summary = trace.filter((t) => t.outcome !== "served").map((t) => `${t.target}: ${t.reason}`).join("; ");
  const budgetError = overBudget(plan.budget, trace, summary);
  if (budgetError) return budgetError;
  const forGood = permanent(failures, trace, plan.context);
  if (forGood) return forGood;
  const invalid = invalidAnswers(failures, trace, summary);
  if (invalid) return invalid;
  // Nothing was tried, or everything said "not now" (home offline, busy, loading): unavailable, not broken.
  if (failures.every((f) => !wasContacted(f) || (f.kind === "unavailable" && !BROKEN.has(f.reason ?? "")))) {
    const waits = trace.map((t) => RETRY_AFTER_S[t.reason]).filter((s): s is number => s !== undefined);
    return new HearthError("no_target_available", `No target is available now (${summary || "nothing to try"}).${hints(trace)}`, {
      attempts: trace,
      ...(waits.length > 0 ? { retryAfterSeconds: Math.min(...waits) } : {}),
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

/**
 * Home answered, but its answer failed a check and could not be repaired, and nothing else could
 * answer (local_only, a privacy pin, or every other target failed to even answer): a typed error
 * naming the check — never the broken answer dressed as a good one.
 */
function invalidAnswers(failures: AttemptFailure[], trace: AttemptSummary[], summary: string): HearthError | undefined {
  const invalid = failures.filter((f) => f.reason === "invalid_answer");
  if (invalid.length === 0 || !failures.every((f) => f.reason === "invalid_answer" || !wasContacted(f) || f.kind === "unavailable")) return undefined;
  const checks = [...new Set(invalid.map((f) => f.check ?? "unknown"))].join(", ");
  return new HearthError("invalid_answer", `Home's answer failed its checks (${checks}): ${invalid[0]?.message ?? ""}; no other target could answer (${summary}).${hints(trace)}`, { attempts: trace });
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
  if (reasons.has("private")) out += " The request is private (x-hearth-privacy: local-only, or the user's policy): the cloud is never used.";
  return out;
}

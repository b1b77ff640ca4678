/**
 * The error when a plan ends without an answer: which HTTP meaning fits what every target said.
 */
import { HearthError, wasContacted, type AttemptFailure, type AttemptSummary, type Target } from "@hearth/shared";

/** The upstream judged the request itself bad: pass its status and message on, marked as relayed. */
export function rejected(target: Target, f: AttemptFailure, trace: AttemptSummary[]): HearthError {
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
export function exhausted(failures: AttemptFailure[], trace: AttemptSummary[]): HearthError {
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
  if (reasons.has("private")) out += " The request is private (x-hearth-privacy: local-only, or the user's policy): the cloud is never used.";
  return out;
}

/**
 * Runs an embeddings request on its one target: attempts until one answers, retried as chat's targets
 * are (408/409/429/5xx, dropped connections, with backoff or the upstream's retry-after) — and, at
 * home, again on another sidecar with the same model when one refused at once or went away. Never
 * another model: when the target cannot answer, the request ends with the typed error that says why.
 */
import { HearthError, backoffDelay, failureReason, nextStep, wasContacted, type AttemptFailure, type AttemptSummary, type NextStep, type RetryOptions } from "@hearth/shared";
import { ClientClosed, DeadlineExceeded } from "../execute/deadlines.js";
import { exhausted, rejected } from "../execute/exhausted.js";
import { sleep } from "../execute/run.js";

export interface EmbeddingTarget {
  /** `local/<model>` or `openai/<model>`, as traces and x-hearth-target name it. */
  readonly id: string;
  readonly provider: "local" | "openai";
  readonly model: string;
  /**
   * One attempt; resolves with the response body (OpenAI's JSON, in the requested encoding) once the
   * target has answered. Stops when `signal` aborts. A deadline of its own that passes is thrown as
   * DeadlineExceeded; a verdict on the request itself (a 400, an unknown model) as HearthError.
   */
  attempt(signal: AbortSignal): Promise<ReadableStream<Uint8Array>>;
  /** Reduces anything else the attempt threw to what the retry decision needs. */
  classify(err: unknown): AttemptFailure;
}

export interface EmbeddingRun {
  body: ReadableStream<Uint8Array>;
  /** Every attempt, in order, the served one last. */
  trace: AttemptSummary[];
  /** Upstream calls made (attempts that reached the target). */
  attempts: number;
}

/** Home refusals that another sidecar with the same model — or the same one a moment later — may not repeat. */
const ELSEWHERE: ReadonlySet<string> = new Set(["overloaded", "loading", "draining", "disconnected"]);

/** After attempt `attempt` failed: the retry rule of every target, plus home's "try it elsewhere". */
export function decide(f: AttemptFailure, attempt: number, retry: RetryOptions): NextStep {
  const reason = failureReason(f);
  if (wasContacted(f) && ELSEWHERE.has(reason) && attempt < retry.maxAttemptsPerTarget) {
    return { action: "retry", delayMs: backoffDelay(attempt - 1, retry), reason };
  }
  return nextStep(f, attempt, retry);
}

/** What a failed attempt means for the decision; the client leaving and Hearth's own verdicts are rethrown. */
function failureOf(err: unknown, signal: AbortSignal, classify: (err: unknown) => AttemptFailure): AttemptFailure {
  const cause: unknown = signal.aborted ? signal.reason : err;
  if (cause instanceof ClientClosed) throw cause;
  if (err instanceof HearthError) throw err;
  if (cause instanceof DeadlineExceeded) return cause.failure;
  return classify(err);
}

export interface RunOptions {
  /** The request's signal: the client, and the total deadline. */
  signal: AbortSignal;
  retry: RetryOptions;
}

export async function runEmbedding(target: EmbeddingTarget, opts: RunOptions): Promise<EmbeddingRun> {
  const trace: AttemptSummary[] = [];
  const failures: AttemptFailure[] = [];
  const contacted = () => trace.filter((t) => t.outcome !== "skipped").length;
  for (let n = 1; ; n++) {
    const startedAt = Date.now();
    let failure: AttemptFailure;
    try {
      const body = await target.attempt(opts.signal);
      trace.push({ target: target.id, outcome: "served", reason: "ok", status: 200, ms: Date.now() - startedAt });
      return { body, trace, attempts: contacted() };
    } catch (err) {
      failure = failureOf(err, opts.signal, (e) => target.classify(e));
    }
    failures.push(failure);
    trace.push({
      target: target.id,
      outcome: wasContacted(failure) ? "failed" : "skipped",
      reason: failureReason(failure),
      ...(failure.status !== undefined ? { status: failure.status } : {}),
      ms: Date.now() - startedAt,
    });
    const step = decide(failure, n, opts.retry);
    if (step.action === "stop") throw rejected(target, failure, trace);
    if (step.action === "next") throw exhausted(failures, trace);
    try {
      await sleep(step.delayMs, opts.signal);
    } catch (err) {
      if (err instanceof ClientClosed) throw err;
      // The total deadline passed while waiting: that is the last word.
      failures.push({ kind: "timeout", reason: "total_timeout" });
      throw exhausted(failures, trace);
    }
  }
}

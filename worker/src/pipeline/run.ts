/**
 * One request's run of its plan: the deadlines from the deployment and the user's policy, the request's
 * own signal (client + total deadline), and an opener for each target — and how every API route ends
 * it: `answered` (a whole answer), `ended` (a stream's end), `failed` (no answer), each of which
 * disposes of the run (stops the total clock, releases home's pre-started attempt if nothing used it)
 * and records the request for the stats; `streamed` answers with an event stream and Hearth's headers.
 */
import { DEFAULT_ANSWER_TOKENS, HearthError, contractOf, formatTrace, requestedMaxTokens, type AttemptSummary } from "@hearth/shared";
import { checkedOpener } from "../targets/checked/opener.js";
import type { Checked } from "../targets/checked/source.js";
import { answerDeadlines, config } from "../config.js";
import { ClientClosed, requestSignal } from "../execute/deadlines.js";
import { PlanRun } from "../execute/run.js";
import type { Planned } from "../routing/plan.js";
import type { RequestScope } from "../scope.js";
import type { Chunk } from "../stream/chunks.js";
import { releasePreStarted, type HomeContext } from "../targets/home.js";
import { openersFor } from "../targets/index.js";
import type { Decoded } from "./dialect.js";
import { failureInput, recordRequest, type RecordInput } from "./record.js";
import type { StreamEnd } from "./stream.js";

/**
 * Home's first-token deadline is enforced by its hub, next to the socket (it cancels the generation
 * there and learns from it); the Worker's own clock runs this much longer, as a backstop.
 */
export const HOME_DEADLINE_GRACE_MS = 1_000;

/**
 * A non-streaming client's cloud answer is fetched whole: no JavaScript runs per token (a streamed
 * 1,000-token answer read chunk by chunk costs tens of ms of CPU in workerd, several times the free
 * plan's 10 ms). What it gives up: with no first token to see, a cloud that stalls half-way is caught
 * by this deadline, not by the idle one. Answers longer than this many tokens stream as before (a
 * long non-streaming call is what Anthropic's SDK refuses past ~21k tokens).
 */
export const WHOLE_MAX_TOKENS = 16_384;
/** Pace a cloud model answering whole is allowed at the slowest (tokens/s): below it, the attempt is stalled. */
const WHOLE_MIN_TOKENS_PER_S = 10;

/** A cloud answer fetched whole must be complete within its first-token deadline and the time its room takes at the slowest pace. */
export const wholeAnswerMs = (firstTokenMs: number, answerTokens: number): number => firstTokenMs + Math.ceil((answerTokens * 1000) / WHOLE_MIN_TOKENS_PER_S);

export interface RequestRun {
  run: PlanRun;
  /** Once the answer began, the longest silence between chunks (ms). */
  idleMs: number;
  totalMs: number;
  /** A whole answer from `served`: the run is over, the request is recorded. */
  answered(served: string, usage: RecordInput["usage"]): void;
  /** A stream's end (whole, broken or left by its client): the run is over, the request is recorded. */
  ended(end: StreamEnd): void;
  /** No answer: the run is over, the request is recorded, and the error goes on (a client that left as `client_closed`). */
  failed(err: unknown): never;
  /** Hearth's headers for an answer from `target`. */
  headers(target: string): Record<string, string>;
  /** An event stream answered by `target`, with Hearth's headers. */
  streamed(body: ReadableStream<Uint8Array>, target: string): Response;
  /** What the checks found of each home answer (README "Checked answers"). */
  readonly checked: readonly Checked[];
}

export function routeHeaders(run: PlanRun, target: string, planned: Planned, requestId: string): Record<string, string> {
  const rule = planned.plan.rule?.name;
  return {
    "x-request-id": requestId,
    "x-hearth-target": target,
    "x-hearth-attempts": String(run.attempts),
    "x-hearth-trace": formatTrace(run.trace),
    ...(rule ? { "x-hearth-rule": rule } : {}),
  };
}

/** The served home entry of the trace names the repair its answer needed (the check runs before the entry exists). */
function markRepairs(trace: AttemptSummary[], checked: readonly Checked[]): void {
  const repair = checked.findLast((c) => c.ok)?.repair;
  const served = trace.findLast((a) => a.outcome === "served" || a.outcome === "broken");
  if (repair && served && served.target.startsWith("local") && served.repair === undefined) served.repair = repair;
}

export function startRun(scope: RequestScope, planned: Planned, d: Decoded, begun?: (batch: Chunk[]) => boolean): RequestRun {
  const cfg = config(scope.env);
  const { user, requestId } = scope;
  const req = d.chat;
  const policy = user.policy;
  const { idleMs, totalMs } = answerDeadlines(cfg, policy);
  const request = requestSignal(scope.signal, totalMs);
  const first = planned.plan.targets[0];
  const home: HomeContext = {
    env: scope.env,
    userId: user.id,
    req,
    features: planned.local,
    preStarted: planned.opened && first ? { id: planned.opened.id, model: first.model, result: planned.opened.result } : undefined,
    waitUntil: (p) => scope.waitUntil(p),
  };
  const answerTokens = requestedMaxTokens(req) ?? DEFAULT_ANSWER_TOKENS;
  const whole = !d.stream && answerTokens <= WHOLE_MAX_TOKENS;
  const cloud = { env: scope.env, req, requestId, native: d.native, whole };
  const checked: Checked[] = [];
  const contract = contractOf(req);
  const mode = policy.answerChecks ?? "escalate";
  const openers = openersFor(cloud, home, d.only);
  // Every answer from home is checked against what the request demands; cloud answers are not.
  const openerFor = (t: Parameters<typeof openers>[0]) => (t.provider === "local" ? checkedOpener(openers(t), { contract, mode, onChecked: (c) => void checked.push(c) }) : openers(t));
  const run = new PlanRun(planned.plan, openerFor, {
    retry: { ...cfg.retry, maxAttemptsPerTarget: policy.maxAttemptsPerTarget ?? cfg.retry.maxAttemptsPerTarget },
    signal: request.signal,
    idleMs,
    firstContentMs: (t) => (t.provider === "local" ? t.deadlineMs + HOME_DEADLINE_GRACE_MS : whole ? (cfg.wholeAnswerTimeoutMs ?? wholeAnswerMs(t.deadlineMs, answerTokens)) : t.deadlineMs),
    ...(begun ? { begun } : {}),
  });
  const done = (r: RecordInput) => {
    request.dispose();
    releasePreStarted(home);
    markRepairs(run.trace, checked);
    recordRequest(scope, planned, req, { ...r, checked });
  };
  const headers = (target: string) => {
    markRepairs(run.trace, checked);
    return routeHeaders(run, target, planned, requestId);
  };
  return {
    run,
    idleMs,
    totalMs,
    answered: (served, usage) => done({ served, error: undefined, trace: run.trace, usage }),
    ended: (end) => done({ served: end.served, error: end.error, trace: run.trace, usage: end.usage }),
    failed(err): never {
      done(failureInput(err));
      // The client left: there is nobody to answer; say so in the log's terms, not as a 500.
      if (err instanceof ClientClosed) throw new HearthError("client_closed", "The client closed the request.");
      throw err;
    },
    headers,
    checked,
    streamed: (body, target) =>
      new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...headers(target) } }),
  };
}

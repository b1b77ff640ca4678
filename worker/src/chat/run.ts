/**
 * One request's run of its plan: the deadlines from the deployment and the user's policy, the request's
 * own signal (client + total deadline), and an opener for each target — and how every API route ends
 * it: `answered` (a whole answer), `ended` (a stream's end), `failed` (no answer), each of which
 * disposes of the run (stops the total clock, releases home's pre-started attempt if nothing used it)
 * and records the request for the stats; `streamed` answers with an event stream and Hearth's headers.
 */
import { HearthError, formatTrace, type ChatRequest, type RoutingPolicy } from "@hearth/shared";
import type { Context } from "hono";
import { config, type HearthConfig } from "../config.js";
import { ClientClosed, requestSignal, type RequestDeadlines } from "../execute/deadlines.js";
import { PlanRun } from "../execute/run.js";
import type { AppEnv } from "../http/types.js";
import type { Planned } from "../routing/plan.js";
import { releasePreStarted, type HomeContext } from "../targets/home.js";
import type { NativeMessages } from "../providers/anthropic/native.js";
import type { NativeResponses } from "../providers/openai/responses.js";
import { openersFor } from "../targets/index.js";
import type { Chunk } from "../stream/chunks.js";
import { failureInput, recordRequest, type RecordInput } from "./record.js";
import type { StreamEnd } from "./sse.js";

/**
 * Home's first-token deadline is enforced by its hub, next to the socket (it cancels the generation
 * there and learns from it); the Worker's own clock runs this much longer, as a backstop.
 */
export const HOME_DEADLINE_GRACE_MS = 1_000;

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

/** The deadlines over a whole answer: the user's policy, else the deployment's. */
export function answerDeadlines(cfg: HearthConfig, policy: RoutingPolicy): RequestDeadlines {
  return { idleMs: policy.idleTimeoutMs ?? cfg.idleTimeoutMs, totalMs: policy.totalTimeoutMs ?? cfg.totalTimeoutMs };
}

/** What a request in another API's dialect adds to a run. */
export interface RunExtras {
  /** The client spoke Anthropic's Messages API: Anthropic targets get its own body. */
  anthropic?: NativeMessages;
  /** The client spoke OpenAI's Responses API: OpenAI targets get its own body. */
  openaiResponses?: NativeResponses;
  /** Only this provider can take the request (and why); other targets refuse it up front. */
  only?: { provider: string; what: string };
  /** When an answer counts as begun for this client. Default: its first substantive chunk. */
  begun?: (batch: Chunk[]) => boolean;
}

/** `startedAt`: when the request arrived (its record's total time counts from there). */
export function startRun(c: Context<AppEnv>, planned: Planned, req: ChatRequest, startedAt: number, extras: RunExtras = {}): RequestRun {
  const cfg = config(c.env);
  const { user } = c.get("principal");
  const policy = user.policy;
  const { idleMs, totalMs } = answerDeadlines(cfg, policy);
  const request = requestSignal(c.req.raw.signal, totalMs);
  const first = planned.plan.targets[0];
  const home: HomeContext = {
    env: c.env,
    userId: user.id,
    req,
    features: planned.local,
    preStarted: planned.opened && first ? { id: planned.opened.id, model: first.model, result: planned.opened.result } : undefined,
    waitUntil: (p) => c.executionCtx.waitUntil(p),
  };
  const cloud = {
    env: c.env,
    req,
    requestId: c.get("requestId"),
    ...(extras.anthropic ? { anthropic: extras.anthropic } : {}),
    ...(extras.openaiResponses ? { openaiResponses: extras.openaiResponses } : {}),
  };
  const run = new PlanRun(planned.plan, openersFor(cloud, home, extras.only), {
    retry: { ...cfg.retry, maxAttemptsPerTarget: policy.maxAttemptsPerTarget ?? cfg.retry.maxAttemptsPerTarget },
    signal: request.signal,
    idleMs,
    firstContentMs: (t) => (t.provider === "local" ? t.deadlineMs + HOME_DEADLINE_GRACE_MS : t.deadlineMs),
    ...(extras.begun ? { begun: extras.begun } : {}),
  });
  const requestId = c.get("requestId");
  const done = (r: RecordInput) => {
    request.dispose();
    releasePreStarted(home);
    recordRequest(c, planned, req, startedAt, r);
  };
  const headers = (target: string) => routeHeaders(run, target, planned, requestId);
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
    streamed: (body, target) =>
      new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...headers(target) } }),
  };
}

/**
 * POST /v1/chat/completions (and POST /v1/code, the same with the task kind forced to code):
 * validate, plan, run, record. Every attempt streams. A streaming client's response is held until the
 * first content arrives, so a failing target is replaced invisibly; after that the stream is
 * committed. A non-streaming client sees nothing until the whole answer is in: an answer that breaks
 * or stalls on the way is dropped and the next target answers from scratch.
 */
import { HearthError, formatTrace, parseChatRequest, type ChatRequest, type TaskKind } from "@hearth/shared";
import type { Context } from "hono";
import { admitted } from "../auth/middleware.js";
import { config } from "../config.js";
import { ClientClosed } from "../execute/deadlines.js";
import type { PlanRun } from "../execute/run.js";
import { parseJsonBody } from "../http/body.js";
import type { AppEnv } from "../http/types.js";
import { planRequest, type Planned } from "../routing/plan.js";
import { wholeAnswer } from "./whole.js";
import { failureInput, recordRequest } from "./record.js";
import { startRun } from "./run.js";
import { sseBody } from "./sse.js";

export interface ChatRouteOptions {
  /** Route as this task kind whatever the classifier says. */
  forceKind?: TaskKind;
  /** Accept a body without `model`, as `auto`. */
  defaultAuto?: boolean;
}

export async function readRequest(c: Context<AppEnv>, opts: ChatRouteOptions): Promise<ChatRequest> {
  const body = await parseJsonBody(c.req.raw, config(c.env).maxBodyBytes);
  const withModel = opts.defaultAuto && typeof body === "object" && body !== null && !("model" in body) ? { ...body, model: "auto" } : body;
  return parseChatRequest(withModel);
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

export function chatRoute(opts: ChatRouteOptions = {}) {
  return async (c: Context<AppEnv>): Promise<Response> => {
    const startedAt = Date.now();
    const req = await readRequest(c, opts);
    const planned = await planRequest(c, req, { open: true, ...(opts.forceKind ? { forceKind: opts.forceKind } : {}) });
    const requestId = c.get("requestId");
    // No target is contacted before the rate limiter has said yes.
    await admitted(c);
    const { run, dispose } = startRun(c, planned, req);
    const record = (r: Parameters<typeof recordRequest>[4]) => recordRequest(c, planned, req, startedAt, r);
    const failed = (err: unknown): never => {
      dispose();
      record(failureInput(err));
      // The client left: there is nobody to answer; say so in the log's terms, not as a 500.
      if (err instanceof ClientClosed) throw new HearthError("client_closed", "The client closed the request.");
      throw err;
    };

    if (!req.stream) {
      const { commit, answer } = await wholeAnswer(run).catch(failed);
      dispose();
      const completion = answer.build();
      record({ served: commit.target.id, error: undefined, trace: run.trace, usage: completion.usage });
      return c.json(completion, 200, routeHeaders(run, commit.target.id, planned, requestId));
    }

    const commit = await run.next().catch(failed);
    if (!commit) return failed(run.exhausted());
    const body = sseBody({
      run,
      commit,
      includeUsage: req.stream_options?.include_usage === true,
      continueOnBreak: c.get("principal").user.policy.continueOnBreak === true,
      log: c.get("log"),
      onEnd: (end) => {
        dispose();
        record({ served: end.served, error: end.error, trace: run.trace, usage: end.usage });
      },
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...routeHeaders(run, commit.target.id, planned, requestId) },
    });
  };
}

/**
 * POST /v1/chat/completions (and POST /v1/code, the same with the task kind forced to code):
 * validate, plan, run, record. Every attempt streams. A streaming client's response is held until the
 * first content arrives, so a failing target is replaced invisibly; after that the stream is
 * committed. A non-streaming client sees nothing until the whole answer is in: an answer that breaks
 * or stalls on the way is dropped and the next target answers from scratch.
 */
import { parseChatRequest, type ChatRequest, type TaskKind } from "@hearth/shared";
import type { Context } from "hono";
import { admitted } from "../auth/middleware.js";
import { config } from "../config.js";
import { parseJsonBody } from "../http/body.js";
import type { AppEnv } from "../http/types.js";
import { planRequest } from "../routing/plan.js";
import { wholeAnswer } from "./whole.js";
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

export function chatRoute(opts: ChatRouteOptions = {}) {
  return async (c: Context<AppEnv>): Promise<Response> => {
    const startedAt = Date.now();
    const req = await readRequest(c, opts);
    const planned = await planRequest(c, req, { open: true, ...(opts.forceKind ? { forceKind: opts.forceKind } : {}) });
    // No target is contacted before the rate limiter has said yes.
    await admitted(c);
    const { run, answered, ended, failed, headers, streamed } = startRun(c, planned, req, startedAt);

    if (!req.stream) {
      const { commit, answer } = await wholeAnswer(run).catch(failed);
      const completion = answer.build();
      answered(commit.target.id, completion.usage);
      return c.json(completion, 200, headers(commit.target.id));
    }

    const commit = await run.next().catch(failed);
    if (!commit) return failed(run.exhausted());
    const body = sseBody({
      run,
      commit,
      includeUsage: req.stream_options?.include_usage === true,
      continueOnBreak: c.get("principal").user.policy.continueOnBreak === true,
      log: c.get("log"),
      onEnd: ended,
    });
    return streamed(body, commit.target.id);
  };
}

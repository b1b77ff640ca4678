/**
 * POST /v1/chat/completions (and POST /v1/code, the same with the task kind forced to code):
 * validate, plan, execute, record. Streaming answers are held until the first content arrives, so a
 * failing target is replaced invisibly; after that the stream is committed.
 */
import { formatTrace, parseChatRequest, type ChatRequest, type PlannedTarget, type TaskKind } from "@hearth/shared";
import type { Context } from "hono";
import { config } from "../config.js";
import { parseJsonBody } from "../http/body.js";
import type { AppEnv } from "../http/types.js";
import type { CallContext } from "../providers/types.js";
import { planRequest, type Planned } from "../routing/plan.js";
import { executePlan, type ExecuteOptions, type Served } from "./execute.js";
import { failureInput, recordRequest } from "./record.js";
import { openStream, sseBody, type OpenStream } from "./sse.js";

function routeHeaders<T>(served: Served<T>, planned: Planned, requestId: string): Record<string, string> {
  const rule = planned.plan.rule?.name;
  return {
    "x-request-id": requestId,
    "x-hearth-target": served.target.id,
    "x-hearth-attempts": String(served.attempts),
    "x-hearth-trace": formatTrace(served.trace),
    ...(rule ? { "x-hearth-rule": rule } : {}),
  };
}

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

/** The per-attempt context providers get: signal, deadline, and home's pre-started attempt. */
function callContext(c: Context<AppEnv>, planned: Planned) {
  let opened = planned.opened;
  return (target: PlannedTarget, signal: AbortSignal, timeoutMs: number): CallContext => ({
    signal,
    requestId: c.get("requestId"),
    timeoutMs,
    env: c.env,
    userId: c.get("principal").user.id,
    localFirstTokenMs: target.deadlineMs,
    localFeatures: planned.local,
    waitUntil: (p: Promise<unknown>) => c.executionCtx.waitUntil(p),
    takeOpened: (model: string) => {
      // Only the plan's first target was started, and only once.
      const first = planned.plan.targets[0];
      if (!opened || first?.provider !== "local" || first.model !== model) return undefined;
      const o = opened;
      opened = undefined;
      return o;
    },
  });
}

export function chatRoute(opts: ChatRouteOptions = {}) {
  return async (c: Context<AppEnv>): Promise<Response> => {
    const startedAt = Date.now();
    const cfg = config(c.env);
    const req = await readRequest(c, opts);
    const planned = await planRequest(c, req, { open: true, ...(opts.forceKind ? { forceKind: opts.forceKind } : {}) });
    const policy = c.get("principal").user.policy;
    const requestId = c.get("requestId");
    const ctx = callContext(c, planned);
    const base = {
      retry: { ...cfg.retry, maxAttemptsPerTarget: policy.maxAttemptsPerTarget ?? cfg.retry.maxAttemptsPerTarget },
      signal: c.req.raw.signal,
      env: c.env,
      // Home's deadline is enforced by its hub (which cancels the generation there); ours is a backstop.
      timeoutMs: (t: PlannedTarget) => (t.provider === "local" ? t.deadlineMs + 2_000 : t.deadlineMs),
    };
    const record = (r: Parameters<typeof recordRequest>[4]) => recordRequest(c, planned, req, startedAt, r);

    if (!req.stream) {
      const served = await executePlan(
        planned.plan,
        ({ provider, config: pc, target, deadline }) => provider.complete(req, target.model, pc, ctx(target, deadline.signal, deadline.ms)),
        base,
      ).catch((err: unknown) => {
        record(failureInput(err));
        throw err;
      });
      record({ served: served.target.id, error: undefined, trace: served.trace, usage: served.value.usage });
      return c.json(served.value, 200, routeHeaders(served, planned, requestId));
    }

    const streamOpts: ExecuteOptions<OpenStream> = { ...base, discard: (s) => void s.iterator.return?.() };
    const served = await executePlan(
      planned.plan,
      async ({ provider, config: pc, target, deadline }) => openStream(await provider.stream(req, target.model, pc, ctx(target, deadline.signal, deadline.ms))),
      streamOpts,
    ).catch((err: unknown) => {
      record(failureInput(err));
      throw err;
    });
    const body = sseBody(served.value, {
      includeUsage: req.stream_options?.include_usage === true,
      targetId: served.target.id,
      log: c.get("log"),
      onEnd: (end) => record({ served: served.target.id, error: end.error, trace: served.trace, usage: end.usage }),
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...routeHeaders(served, planned, requestId) },
    });
  };
}

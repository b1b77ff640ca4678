/**
 * POST /v1/chat/completions: validate, plan, execute. Streaming answers are held until the first
 * content arrives, so a failing target is replaced invisibly; after that the stream is committed.
 */
import { parseChatRequest, planRoute, formatTrace, type ChatRequest, type RoutePlan } from "@hearth/shared";
import type { Context } from "hono";
import { config } from "../config.js";
import { parseJsonBody } from "../http/body.js";
import type { AppEnv } from "../http/types.js";
import { configuredProviders } from "../providers/registry.js";
import { executePlan, type ExecuteOptions, type Served } from "./execute.js";
import { openStream, sseBody } from "./sse.js";

function routeHeaders<T>(served: Served<T>, requestId: string): Record<string, string> {
  return {
    "x-request-id": requestId,
    "x-hearth-target": served.target.id,
    "x-hearth-attempts": String(served.attempts),
    "x-hearth-trace": formatTrace(served.trace),
  };
}

export function planFor(c: Context<AppEnv>, req: ChatRequest): RoutePlan {
  return planRoute({
    model: req.model,
    policy: c.get("principal").user.policy,
    deploymentAutoTargets: config(c.env).autoTargets,
    configured: configuredProviders(c.env),
  });
}

export async function chatCompletions(c: Context<AppEnv>): Promise<Response> {
  const cfg = config(c.env);
  const req = parseChatRequest(await parseJsonBody(c.req.raw, cfg.maxBodyBytes));
  const plan = planFor(c, req);
  const policy = c.get("principal").user.policy;
  const requestId = c.get("requestId");
  const base: Omit<ExecuteOptions, "timeoutMs"> = {
    retry: { ...cfg.retry, maxAttemptsPerTarget: policy.maxAttemptsPerTarget ?? cfg.retry.maxAttemptsPerTarget },
    signal: c.req.raw.signal,
    env: c.env,
  };

  if (!req.stream) {
    const served = await executePlan(
      plan,
      ({ provider, config: pc, target, deadline }) =>
        provider.complete(req, target.model, pc, { signal: deadline.signal, requestId, timeoutMs: cfg.upstreamTimeoutMs }),
      { ...base, timeoutMs: cfg.upstreamTimeoutMs },
    );
    return c.json(served.value, 200, routeHeaders(served, requestId));
  }

  const served = await executePlan(
    plan,
    async ({ provider, config: pc, target, deadline }) =>
      openStream(
        await provider.stream(req, target.model, pc, {
          signal: deadline.signal,
          requestId,
          timeoutMs: cfg.firstChunkTimeoutMs,
        }),
      ),
    { ...base, timeoutMs: cfg.firstChunkTimeoutMs },
  );
  const body = sseBody(served.value, {
    includeUsage: req.stream_options?.include_usage === true,
    targetId: served.target.id,
    log: c.get("log"),
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      ...routeHeaders(served, requestId),
    },
  });
}

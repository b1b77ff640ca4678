/**
 * POST /v1/chat/completions: validate, plan, execute. Streaming answers are held until the first
 * content arrives, so a failing target is replaced invisibly; after that the stream is committed.
 */
import { parseChatRequest, planRoute, formatTrace, type ChatRequest, type RoutePlan, type Target } from "@hearth/shared";
import type { Context } from "hono";
import { config } from "../config.js";
import { parseJsonBody } from "../http/body.js";
import type { AppEnv } from "../http/types.js";
import { configuredProviders } from "../providers/registry.js";
import { executePlan, type ExecuteOptions, type Served } from "./execute.js";
import { openStream, sseBody } from "./sse.js";

/** The target as the client should see it: for home, the model the hub chose (`local/<model>`). */
function servedTarget(served: Served<unknown>, model: string | undefined): string {
  return served.target.provider === "local" && model ? `local/${model}` : served.target.id;
}

function routeHeaders<T>(served: Served<T>, requestId: string, model?: string): Record<string, string> {
  const target = servedTarget(served, model);
  const last = served.trace[served.trace.length - 1];
  if (last?.outcome === "served") last.target = target;
  return {
    "x-request-id": requestId,
    "x-hearth-target": target,
    "x-hearth-attempts": String(served.attempts),
    "x-hearth-trace": formatTrace(served.trace),
  };
}

function planFor(c: Context<AppEnv>, req: ChatRequest): RoutePlan {
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
  const localFirstTokenMs = policy.localFirstTokenMs ?? cfg.localFirstTokenMs;
  const ctx = (signal: AbortSignal, timeoutMs: number) => ({
    signal,
    requestId,
    timeoutMs,
    env: c.env,
    userId: c.get("principal").user.id,
    localFirstTokenMs,
    waitUntil: (p: Promise<unknown>) => c.executionCtx.waitUntil(p),
  });
  // Home's deadline is enforced by its hub (which cancels the generation there); ours is a backstop.
  const deadlineFor = (cloudMs: number) => (t: Target) => (t.provider === "local" ? localFirstTokenMs + 2_000 : cloudMs);
  const base: Omit<ExecuteOptions, "timeoutMs"> = {
    retry: { ...cfg.retry, maxAttemptsPerTarget: policy.maxAttemptsPerTarget ?? cfg.retry.maxAttemptsPerTarget },
    signal: c.req.raw.signal,
    env: c.env,
  };

  if (!req.stream) {
    const served = await executePlan(
      plan,
      ({ provider, config: pc, target, deadline }) =>
        provider.complete(req, target.model, pc, ctx(deadline.signal, cfg.upstreamTimeoutMs)),
      { ...base, timeoutMs: deadlineFor(cfg.upstreamTimeoutMs) },
    );
    return c.json(served.value, 200, routeHeaders(served, requestId, served.value.model));
  }

  const served = await executePlan(
    plan,
    async ({ provider, config: pc, target, deadline }) =>
      openStream(await provider.stream(req, target.model, pc, ctx(deadline.signal, cfg.firstChunkTimeoutMs))),
    { ...base, timeoutMs: deadlineFor(cfg.firstChunkTimeoutMs) },
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
      ...routeHeaders(served, requestId, served.value.buffered[0]?.model),
    },
  });
}

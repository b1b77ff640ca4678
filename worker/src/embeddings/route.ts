/**
 * POST /v1/embeddings: validate, resolve the one model the request names (`auto`: the one configured
 * embedding model), check the user's policy lets that target be used, run it (retried; at home on
 * whichever sidecar has the model), answer in OpenAI's shape with Hearth's headers.
 *
 * Vectors of different models are not comparable, so there is no fallback to another model: when the
 * named model cannot answer, the answer is the typed error that says why (503 with retry-after for
 * "not now", 400/404 for "never"). Embeddings are left out of /v1/stats: its counters and windows are
 * about chat answers (time to first token, tokens/s), and they steer chat routing.
 */
import { HearthError, embeddingTarget, formatTrace, parseEmbeddingsRequest, type AttemptSummary, type EmbeddingsRequest, type RoutingPolicy, type Target } from "@hearth/shared";
import type { Context } from "hono";
import { admitted } from "../auth/middleware.js";
import { config } from "../config.js";
import { ClientClosed, requestSignal } from "../execute/deadlines.js";
import { exhausted } from "../execute/exhausted.js";
import { parseJsonBody } from "../http/body.js";
import type { AppEnv } from "../http/types.js";
import { configuredProviders, providers } from "../providers/registry.js";
import { PRIVACY_HEADER, privacyOf } from "../routing/features.js";
import { homeEmbedder } from "./home.js";
import { configuredEmbeddingModel } from "./model.js";
import { openaiEmbedder } from "./openai.js";
import { runEmbedding, type EmbeddingTarget } from "./run.js";

/** Levels of JSON an embeddings body has at most: the body, `input`, a token array. */
const MAX_DEPTH = 3;

/** Why the policy or the deployment leaves the target out, or undefined when it may be used. */
function gate(t: Target, configured: ReadonlySet<string>, policy: RoutingPolicy, isPrivate: boolean): string | undefined {
  const isLocal = t.provider === "local";
  if (!configured.has(t.provider)) return "not_configured";
  if (!isLocal && isPrivate) return "private";
  if (!isLocal && policy.mode === "local_only") return "policy_local_only";
  if (isLocal && policy.mode === "cloud_only") return "policy_cloud_only";
  return undefined;
}

function targetFor(c: Context<AppEnv>, t: Target, req: EmbeddingsRequest): EmbeddingTarget {
  const cfg = config(c.env);
  const { policy } = c.get("principal").user;
  const idleMs = policy.idleTimeoutMs ?? cfg.idleTimeoutMs;
  if (t.provider === "local") {
    if (req.inputs.kind !== "text") {
      throw new HearthError("invalid_request", "Token ids belong to the tokenizer that made them, and a home model has its own: send 'input' as text.", { param: "input" });
    }
    const home = { env: c.env, userId: c.get("principal").user.id, waitUntil: (p: Promise<unknown>) => c.executionCtx.waitUntil(p), idleMs };
    // Home's first-token ceiling (not the deadline learned from chat answers, which says nothing of embedding).
    return homeEmbedder({ ...home, firstContentMs: policy.localFirstTokenMs ?? cfg.localFirstTokenMs }, t.model, {
      texts: req.inputs.texts,
      dimensions: req.dimensions,
      encodingFormat: req.encodingFormat,
    });
  }
  // The gate checked the key is there.
  const key = providers.openai.config(c.env) ?? { apiKey: "" };
  return openaiEmbedder(
    { apiKey: key.apiKey, baseURL: key.baseURL, requestId: c.get("requestId"), firstContentMs: policy.cloudFirstTokenMs ?? cfg.firstChunkTimeoutMs, idleMs },
    t.model,
    req,
  );
}

function headers(run: { trace: AttemptSummary[]; attempts: number }, target: string, requestId: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-request-id": requestId,
    "x-hearth-target": target,
    "x-hearth-attempts": String(run.attempts),
    "x-hearth-trace": formatTrace(run.trace),
  };
}

export function embeddingsRoute() {
  return async (c: Context<AppEnv>): Promise<Response> => {
    const cfg = config(c.env);
    const req = parseEmbeddingsRequest(await parseJsonBody(c.req.raw, cfg.maxBodyBytes, { maxDepth: MAX_DEPTH }));
    const { policy } = c.get("principal").user;
    const t = embeddingTarget(req.model, configuredEmbeddingModel(c.env, policy));
    const skip = gate(t, configuredProviders(c.env), policy, privacyOf(c.req.header(PRIVACY_HEADER)));
    if (skip) throw exhausted([], [{ target: t.id, outcome: "skipped", reason: skip }]);
    const target = targetFor(c, t, req);
    // No target is contacted before the rate limiter has said yes.
    await admitted(c);
    const request = requestSignal(c.req.raw.signal, policy.totalTimeoutMs ?? cfg.totalTimeoutMs);
    try {
      const run = await runEmbedding(target, { signal: request.signal, retry: { ...cfg.retry, maxAttemptsPerTarget: policy.maxAttemptsPerTarget ?? cfg.retry.maxAttemptsPerTarget } });
      return new Response(run.body, { headers: headers(run, target.id, c.get("requestId")) });
    } catch (err) {
      if (err instanceof ClientClosed) throw new HearthError("client_closed", "The client closed the request.");
      throw err;
    } finally {
      request.dispose();
    }
  };
}

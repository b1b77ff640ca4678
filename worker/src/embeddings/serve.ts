/**
 * POST /v1/embeddings: validate, resolve the one model the request names (`auto`: the one configured
 * embedding model), let the same gates as chat decide whether that target may be used (the policy and
 * privacy; for the cloud, the budget, held by the user's hub as for a chat request), run it (retried;
 * at home on whichever sidecar has the model), answer in OpenAI's shape with Hearth's headers, and
 * record it like every request (so its cost counts against the budget and shows in the stats, under
 * the kind `embeddings`).
 *
 * Vectors of different models are not comparable, so there is no fallback to another model: when the
 * named model cannot answer, the answer is the typed error that says why (503 with retry-after for
 * "not now", 400/404 for "never").
 */
import {
  HearthError,
  embeddingTarget,
  estimateTextTokens,
  formatTrace,
  parseEmbeddingsRequest,
  policyGate,
  type AttemptSummary,
  type EmbeddingInputs,
  type EmbeddingsRequest,
  type Target,
} from "@hearth/shared";
import { answerDeadlines, config } from "../config.js";
import { ClientClosed, requestSignal } from "../execute/deadlines.js";
import { exhausted } from "../execute/exhausted.js";
import { failureInput, queueRecord } from "../pipeline/record.js";
import { providers, configuredProviders } from "../providers/registry.js";
import { PRIVACY_HEADER, privacyOf } from "../routing/features.js";
import { planCloudCall } from "../routing/plan.js";
import type { RequestScope } from "../scope.js";
import { homeEmbedder } from "./home.js";
import { configuredEmbeddingModel } from "./model.js";
import { openaiEmbedder } from "./openai.js";
import { runEmbedding, type EmbeddingTarget } from "./run.js";

/** Levels of JSON an embeddings body has at most: the body, `input`, a token array. */
const MAX_DEPTH = 3;

/** The input's tokens: counted when sent as token ids, else the classifier's estimate (for the budget and stats). */
const inputTokens = (inputs: EmbeddingInputs): number =>
  inputs.kind === "tokens" ? inputs.tokens.reduce((n, t) => n + t.length, 0) : inputs.texts.reduce((n, t) => n + estimateTextTokens(t), 0);

/**
 * Whether the target may be used: home by the policy gate, the cloud by the planner (which applies
 * the same gate, and the budget). Returns the budget reservation made for it, if any.
 */
async function admit(scope: RequestScope, t: Target, promptTokens: number): Promise<string | undefined> {
  const { policy } = scope.user;
  if (t.provider === "local") {
    const isPrivate = policy.private === true || privacyOf(scope.header(PRIVACY_HEADER));
    const skip = policyGate("local", { configured: configuredProviders(scope.env), mode: policy.mode ?? "hybrid", isPrivate });
    if (skip) throw exhausted([], [{ target: t.id, outcome: "skipped", reason: skip }]);
    return undefined;
  }
  const { plan, hold } = await planCloudCall(scope, t.id, promptTokens);
  const skipped = plan.skipped.find((s) => s.target === t.id);
  if (skipped) throw exhausted([], [skipped], plan);
  return hold;
}

function targetFor(scope: RequestScope, t: Target, req: EmbeddingsRequest): EmbeddingTarget {
  const cfg = config(scope.env);
  const { policy } = scope.user;
  const { idleMs } = answerDeadlines(cfg, policy);
  if (t.provider === "local") {
    if (req.inputs.kind !== "text") {
      throw new HearthError("invalid_request", "Token ids belong to the tokenizer that made them, and a home model has its own: send 'input' as text.", { param: "input" });
    }
    const home = { env: scope.env, userId: scope.user.id, waitUntil: (p: Promise<unknown>) => scope.waitUntil(p), idleMs };
    // Home's first-token ceiling (not the deadline learned from chat answers, which says nothing of embedding).
    return homeEmbedder({ ...home, firstContentMs: policy.localFirstTokenMs ?? cfg.localFirstTokenMs }, t.model, {
      texts: req.inputs.texts,
      dimensions: req.dimensions,
      encodingFormat: req.encodingFormat,
    });
  }
  // The gate checked the key is there.
  const key = providers.openai.config(scope.env) ?? { apiKey: "" };
  return openaiEmbedder(
    { apiKey: key.apiKey, baseURL: key.baseURL, requestId: scope.requestId, firstContentMs: policy.cloudFirstTokenMs ?? cfg.firstChunkTimeoutMs, idleMs },
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

export async function serveEmbeddings(scope: RequestScope): Promise<Response> {
  const cfg = config(scope.env);
  const req = parseEmbeddingsRequest(await scope.json({ maxDepth: MAX_DEPTH }));
  const { policy } = scope.user;
  const t = embeddingTarget(req.model, configuredEmbeddingModel(scope.env, policy));
  const promptTokens = inputTokens(req.inputs);
  const hold = await admit(scope, t, promptTokens);
  const target = targetFor(scope, t, req);
  const record = (served: string | undefined, error: string | undefined, trace: AttemptSummary[]) =>
    queueRecord(scope, {
      at: Date.now(),
      kind: "embeddings",
      rule: undefined,
      served,
      error,
      promptTokens: served ? promptTokens : 0,
      completionTokens: 0,
      trace,
      reference: undefined,
      first: t.id,
      stream: false,
      totalMs: Date.now() - scope.startedAt,
      ...(hold ? { hold } : {}),
    });
  // No target is contacted before the rate limiter has said yes.
  await scope.admitted();
  const request = requestSignal(scope.signal, answerDeadlines(cfg, policy).totalMs);
  try {
    const run = await runEmbedding(target, { signal: request.signal, retry: { ...cfg.retry, maxAttemptsPerTarget: policy.maxAttemptsPerTarget ?? cfg.retry.maxAttemptsPerTarget } });
    record(target.id, undefined, run.trace);
    return new Response(run.body, { headers: headers(run, target.id, scope.requestId) });
  } catch (err) {
    const failed = failureInput(err);
    record(undefined, failed.error, failed.trace);
    if (err instanceof ClientClosed) throw new HearthError("client_closed", "The client closed the request.");
    throw err;
  } finally {
    request.dispose();
  }
}

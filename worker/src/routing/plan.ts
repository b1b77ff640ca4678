/**
 * Plans a request: classify it here (pure, microseconds), then let the user's Durable Object plan it
 * with what it knows (sidecars, performance, breakers) — and start home at once when home goes first.
 * A request naming a cloud model needs none of that and is planned here without the round trip.
 */
import { DEFAULT_ANSWER_TOKENS, HearthError, effectiveBudget, hasBudget, plan, requestedMaxTokens, requireTarget, type ChatRequest, type Classification, type LocalFeatures, type RouteFeatures, type RoutePlan, type TaskKind } from "@hearth/shared";
import type { Context } from "hono";
import { admitted } from "../auth/middleware.js";
import { config } from "../config.js";
import type { AppEnv } from "../http/types.js";
import { configuredProviders } from "../providers/registry.js";
import { answerDeadlines } from "../chat/run.js";
import { hubFor } from "../hub-client/index.js";
import type { OpenResult, RouteCall } from "../hub-client/types.js";
import { PRIVACY_HEADER, assessRequest, localFeatures, privacyOf, routeFeatures, type Assessment } from "./features.js";

export interface Planned {
  plan: RoutePlan;
  /** The classifier's verdict. For a named cloud model planning needs none: it is computed on first read (explain shows it). */
  readonly classification: Classification;
  /** The classification with the home-risk estimate and the agent shape (lazy like it for a named cloud model). */
  readonly assessment: Assessment;
  /** The task kind when planning classified the request; undefined for a named cloud model (the stats count no kind for it). */
  kind: TaskKind | undefined;
  /** What the hub's model picker needs to know of the request, for attempts at home. */
  local: LocalFeatures;
  /** Home's attempt, already started (the plan's first target), with its tunnel request id. */
  opened?: { id: string; result: OpenResult };
  /** The budget reservation the hub made for this request (released by its record). */
  hold?: string;
}

/** A budget reservation is held this much longer than its request's total deadline, in case its record is late. */
const HOLD_MARGIN_MS = 60_000;

export interface PlanOptions {
  /** Set the task kind instead of classifying it (POST /v1/code). */
  forceKind?: TaskKind;
  /** Start the first target when it is home. False for /v1/route/explain. */
  open: boolean;
  /** The model name the client sent, before mapping (/v1/messages), for the agent shape. */
  clientModel?: string;
}

/** Does planning need the hub's state? When home or an `auto` list is involved, or a cloud budget (the hub keeps the spend). */
const needsHub = (model: string, budgeted: boolean) => budgeted || model === "auto" || requireTarget(model).provider === "local";

/** What a named cloud model is planned with: its plan reads none of the request's features. */
const UNCLASSIFIED: RouteFeatures = { kind: "chat", complexity: 0, promptTokens: 0, reserveTokens: 0, tools: false, images: false, json: false, metadata: {} };

export async function planRequest(c: Context<AppEnv>, req: ChatRequest, opts: PlanOptions): Promise<Planned> {
  const cfg = config(c.env);
  const { user } = c.get("principal");
  const configured = configuredProviders(c.env);
  const base = {
    model: req.model,
    policy: user.policy,
    privateRequest: privacyOf(c.req.header(PRIVACY_HEADER)),
    deploymentAutoTargets: cfg.autoTargets,
    deadlines: { cloudMs: cfg.firstChunkTimeoutMs, localMs: cfg.localFirstTokenMs },
  };
  if (!needsHub(req.model, hasBudget(effectiveBudget(user.policy.budget, cfg.budget)))) {
    // A named cloud model: its route reads nothing the classifier says, so the request is not
    // classified (about a tenth of the Worker's time per request, profiled) unless explain asks.
    let lazy: Assessment | undefined;
    const assess = (): Assessment => (lazy ??= assessRequest(req, opts.forceKind, opts.clientModel));
    const planned = plan({ ...base, features: UNCLASSIFIED, configured, sidecars: [], perf: {}, openBreakers: new Set() });
    return {
      plan: planned,
      get assessment() {
        return assess();
      },
      get classification() {
        return assess().classification;
      },
      local: localFeatures(UNCLASSIFIED),
      kind: undefined,
    };
  }
  const assessment = assessRequest(req, opts.forceKind, opts.clientModel);
  const classification = assessment.classification;
  const features = routeFeatures(req, assessment);
  const local = localFeatures(features);
  const call: RouteCall = {
    ...base,
    features,
    configured: [...configured],
    answerTokens: requestedMaxTokens(req) ?? DEFAULT_ANSWER_TOKENS,
    // A reservation outlives its request only if the record never comes (an isolate that died).
    holdMs: answerDeadlines(cfg, user.policy).totalMs + HOLD_MARGIN_MS,
  };
  if (!configured.has("local")) {
    return { plan: plan({ ...call, configured, sidecars: [], perf: {}, openBreakers: new Set() }), classification, assessment, local, kind: classification.kind };
  }
  const id = crypto.randomUUID();
  const hub = hubFor(c.env, user.id);
  // Opening starts home: not before the rate limiter has said yes.
  if (opts.open) await admitted(c);
  const routed = await hub.route(opts.open ? { ...call, open: { id, body: req, features: local } } : call);
  if (routed.plan.reason === "explicit" && routed.plan.skipped.some((s) => s.reason === "no_such_model")) {
    throw new HearthError("model_not_found", `Your sidecar has no model '${req.model.slice("local/".length)}'. GET /v1/models lists them.`, { param: "model" });
  }
  return { plan: routed.plan, classification, assessment, local, kind: classification.kind, ...(routed.opened ? { opened: { id, result: routed.opened } } : {}), ...(routed.hold ? { hold: routed.hold } : {}) };
}

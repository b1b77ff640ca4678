/**
 * Plans a request: classify it here (pure, microseconds), then let the user's Durable Object plan it
 * with what it knows (sidecars, performance, breakers) — and start home at once when home goes first.
 * A request naming a cloud model needs none of that and is planned here without the round trip.
 */
import { DEFAULT_ANSWER_TOKENS, HearthError, effectiveBudget, hasBudget, plan, requestedMaxTokens, requireTarget, type ChatRequest, type Classification, type LocalFeatures, type RouteFeatures, type RoutePlan, type TaskKind } from "@hearth/shared";
import { answerDeadlines, config } from "../config.js";
import { hubFor, type OpenResult, type RouteCall } from "../hub-client/index.js";
import type { RequestScope } from "../scope.js";
import { configuredProviders } from "../providers/registry.js";
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
  clientModel?: string | undefined;
}

/** Does planning need the hub's state? When home or an `auto` list is involved, or a cloud budget (the hub keeps the spend). */
const needsHub = (model: string, budgeted: boolean) => budgeted || model === "auto" || requireTarget(model).provider === "local";

/** What a named cloud model is planned with: its plan reads none of the request's features. */
const UNCLASSIFIED: RouteFeatures = { kind: "chat", complexity: 0, promptTokens: 0, reserveTokens: 0, tools: false, images: false, json: false, metadata: {} };

/** What every plan of this request is made with, whatever its features. */
function baseInput(scope: RequestScope, model: string) {
  const cfg = config(scope.env);
  return {
    model,
    policy: scope.user.policy,
    privateRequest: privacyOf(scope.header(PRIVACY_HEADER)),
    deploymentAutoTargets: cfg.autoTargets,
    deadlines: { cloudMs: cfg.firstChunkTimeoutMs, localMs: cfg.localFirstTokenMs },
  };
}

/** A budget reservation outlives its request only if the record never comes (an isolate that died). */
const holdMs = (scope: RequestScope) => answerDeadlines(config(scope.env), scope.user.policy).totalMs + HOLD_MARGIN_MS;

/**
 * A named cloud model with no other to fall back to (an embedding: vectors of another model are not
 * comparable) planned by the same planner: the plan has the target, or leaves it out with the reason
 * (the policy, privacy, the budget — with a budget in force the user's hub decides, and holds the spend).
 */
export async function planCloudCall(scope: RequestScope, model: string, promptTokens: number): Promise<Pick<Planned, "plan" | "hold">> {
  const cfg = config(scope.env);
  const configured = configuredProviders(scope.env);
  const input = { ...baseInput(scope, model), features: { ...UNCLASSIFIED, promptTokens } };
  if (!hasBudget(effectiveBudget(scope.user.policy.budget, cfg.budget)) || !configured.has("local")) {
    return { plan: plan({ ...input, configured, sidecars: [], perf: {}, openBreakers: new Set(), prices: cfg.prices }) };
  }
  const routed = await hubFor(scope.env, scope.user.id).route({ ...input, configured: [...configured], answerTokens: 0, holdMs: holdMs(scope), reserve: true });
  return { plan: routed.plan, ...(routed.hold ? { hold: routed.hold } : {}) };
}

export async function planRequest(scope: RequestScope, req: ChatRequest, opts: PlanOptions): Promise<Planned> {
  const cfg = config(scope.env);
  const { user } = scope;
  const configured = configuredProviders(scope.env);
  const base = baseInput(scope, req.model);
  if (!needsHub(req.model, hasBudget(effectiveBudget(user.policy.budget, cfg.budget)))) {
    // A named cloud model: its route reads nothing the classifier says, so the request is not
    // classified (about a tenth of the Worker's time per request, profiled) unless explain asks.
    let lazy: Assessment | undefined;
    const assess = (): Assessment => (lazy ??= assessRequest(req, opts.forceKind, opts.clientModel));
    const planned = plan({ ...base, features: UNCLASSIFIED, configured, sidecars: [], perf: {}, openBreakers: new Set(), prices: cfg.prices });
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
    holdMs: holdMs(scope),
  };
  if (!configured.has("local")) {
    return { plan: plan({ ...call, configured, sidecars: [], perf: {}, openBreakers: new Set(), prices: cfg.prices }), classification, assessment, local, kind: classification.kind };
  }
  const id = crypto.randomUUID();
  const hub = hubFor(scope.env, user.id);
  // Opening starts home: not before the rate limiter has said yes.
  if (opts.open) await scope.admitted();
  const routed = await hub.route(opts.open ? { ...call, open: { id, body: req, features: local } } : call);
  if (routed.plan.reason === "explicit" && routed.plan.skipped.some((s) => s.reason === "no_such_model")) {
    throw new HearthError("model_not_found", `Your sidecar has no model '${req.model.slice("local/".length)}'. GET /v1/models lists them.`, { param: "model" });
  }
  return { plan: routed.plan, classification, assessment, local, kind: classification.kind, ...(routed.opened ? { opened: { id, result: routed.opened } } : {}), ...(routed.hold ? { hold: routed.hold } : {}) };
}

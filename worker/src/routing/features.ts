/**
 * From a parsed request to what routing needs: the classifier's verdict (optionally with the task
 * kind forced, for /v1/code), the planner's features, the local picker's features, and the privacy
 * header.
 */
import {
  HearthError,
  TASK_KINDS,
  agentShape,
  answerReserve,
  analyze,
  homeRisk,
  type AgentShape,
  type HomeRisk,
  requestedMaxTokens,
  type ChatRequest,
  type Classification,
  type LocalFeatures,
  type RouteFeatures,
  type TaskKind,
} from "@hearth/shared";

/** What the Worker knows of a request before planning: the classifier's verdict, the home-risk estimate (no home-size or learned shift yet: the planner adds those) and the agent call shape. */
export interface Assessment {
  classification: Classification;
  risk: HomeRisk;
  shape: { shape: AgentShape; evidence: string[] };
}

/** `clientModel`: the name the client sent before any mapping (/v1/messages maps Claude names). */
export function assessRequest(req: ChatRequest, forceKind?: TaskKind, clientModel?: string): Assessment {
  const analysis = analyze(req);
  const risk = homeRisk(analysis);
  const c = analysis.classification;
  const shape = agentShape({ req, promptTokens: c.promptTokens, ...(clientModel ? { clientModel } : {}) });
  if (!forceKind || c.kind === forceKind) return { classification: c, risk, shape };
  const kindScores = Object.fromEntries(TASK_KINDS.map((k) => [k, k === forceKind ? 1 : 0])) as Record<TaskKind, number>;
  return { classification: { ...c, kind: forceKind, kindScores, evidence: [`kind forced to ${forceKind} by the route`, ...c.evidence] }, risk, shape };
}

export function classifyRequest(req: ChatRequest, forceKind?: TaskKind): Classification {
  return assessRequest(req, forceKind).classification;
}

export function routeFeatures(req: ChatRequest, a: Assessment): RouteFeatures {
  const c = a.classification;
  return {
    homeRiskLogit: a.risk.baseLogit,
    shape: a.shape.shape,
    kind: c.kind,
    complexity: c.complexity,
    promptTokens: c.promptTokens,
    // Answer room to keep free in a local context (shared/routing/answer-room.ts).
    reserveTokens: answerReserve(requestedMaxTokens(req)),
    tools: c.hasTools && req.tool_choice !== "none",
    images: c.hasImages,
    json: c.wantsJson,
    metadata: req.metadata ?? {},
  };
}

export function localFeatures(f: RouteFeatures): LocalFeatures {
  return { promptTokens: f.promptTokens, reserveTokens: f.reserveTokens, needsTools: f.tools };
}

export const PRIVACY_HEADER = "x-hearth-privacy";

/** `x-hearth-privacy: local-only` keeps the request at home; `cloud-ok` (or no header) leaves it to the policy. */
export function privacyOf(header: string | undefined): boolean {
  const v = header?.trim().toLowerCase();
  if (!v || v === "cloud-ok") return false;
  if (v === "local-only") return true;
  throw new HearthError("invalid_request", `Header ${PRIVACY_HEADER} must be 'local-only' or 'cloud-ok', not '${header}'.`, {
    param: PRIVACY_HEADER,
  });
}

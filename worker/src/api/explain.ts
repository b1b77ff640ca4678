/**
 * POST /v1/route/explain: the plan Hearth would follow for this body now — features, the rule that
 * matched, each target with its deadline and why, each skip with its reason, the hedge — without
 * running it. The same planner and the same state as a real request, so it matches what happens.
 */
import type { RoutePlan } from "@hearth/shared";
import type { Context } from "hono";
import { answerDeadlines, config, type RequestDeadlines } from "../config.js";
import { decodeChat } from "../dialects/chat/index.js";
import { scopeOf } from "../http/scope.js";
import type { AppEnv } from "../http/types.js";
import type { Assessment } from "../routing/features.js";
import { planRequest } from "../routing/plan.js";

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The risk as the rules saw it (the planner's, with home's size and what was learned) or, when the plan made none, the Worker's own estimate. */
function homeRiskBody(plan: RoutePlan, a: Assessment) {
  const p = plan.risk;
  const evidence = [...a.risk.evidence];
  if (p?.homeModel) evidence.push(`home model ${p.homeModel}${p.homeSizeB !== undefined ? ` (${p.homeSizeB}B, from its ${p.sizeFrom})` : " (size unknown)"}`);
  if (p && p.sizeShift !== 0) evidence.push(`home size ${p.sizeShift >= 0 ? "+" : "−"}${Math.abs(p.sizeShift).toFixed(2)}`);
  if (p && p.offsetSamples > 0) {
    evidence.push(`learned for ${p.homeModel ?? "home"} from ${p.offsetSamples} home answers (${p.offsetFailed} failed) ${p.userShift >= 0 ? "+" : "−"}${Math.abs(p.userShift).toFixed(2)}`);
  }
  if (p?.cloudShare !== undefined) evidence.push(`${p.riskiest ? "among" : "not among"} the riskiest ${p.cloudShare}% (cloudShare)`);
  return {
    value: r3(p?.risk ?? a.risk.risk),
    logit: r3(p ? p.baseLogit + p.sizeShift + p.userShift : a.risk.logit),
    size_shift: r3(p?.sizeShift ?? 0),
    learned_shift: r3(p?.userShift ?? 0),
    ...(p?.cloudShare !== undefined ? { riskiest: p.riskiest } : {}),
    evidence,
  };
}

export function explainBody(plan: RoutePlan, a: Assessment, model: string, deadlines: RequestDeadlines) {
  const c = a.classification;
  return {
    object: "hearth.route_plan",
    model,
    mode: plan.mode,
    private: plan.private,
    features: {
      kind: c.kind,
      kind_scores: c.kindScores,
      complexity: Math.round(c.complexity * 1000) / 1000,
      prompt_tokens: c.promptTokens,
      tools: c.hasTools,
      tool_choice_forced: c.toolChoiceForced,
      images: c.hasImages,
      json: c.wantsJson,
      evidence: c.evidence,
      home_risk: homeRiskBody(plan, a),
      agent_shape: { shape: a.shape.shape, evidence: a.shape.evidence },
    },
    rule: plan.rule ? { name: plan.rule.name, matched: plan.rule.why } : null,
    targets: plan.targets.map((t) => ({ target: t.id, deadline_ms: t.deadlineMs, ...(t.wait ? { waits_for: t.wait } : {}), ...(t.pick ? { pick: t.pick } : {}), why: t.why })),
    // Every target's first-content deadline is above; these hold over the whole answer.
    deadlines: { idle_ms: deadlines.idleMs, total_ms: deadlines.totalMs },
    skipped: plan.skipped.map((s) => ({ target: s.target, reason: s.reason })),
    order: plan.order,
    hedge: plan.hedge ? { primary: plan.hedge.primary, backup: plan.hedge.backup, after_ms: plan.hedge.afterMs } : null,
    notes: plan.notes,
    // Cloud targets left out for the budget (reason `budget`), and what happens when nothing else answers.
    budget: plan.budget ? { on_exceeded: plan.budget.onExceeded, ...(plan.budget.retryAfterSeconds !== undefined ? { retry_after_s: plan.budget.retryAfterSeconds } : {}) } : null,
  };
}

export function explainRoute(opts: { forceKind?: "code" } = {}) {
  return async (c: Context<AppEnv>): Promise<Response> => {
    const scope = scopeOf(c);
    const { chat } = decodeChat(await scope.json());
    const planned = await planRequest(scope, chat, { open: false, ...opts });
    return c.json(explainBody(planned.plan, planned.assessment, chat.model, answerDeadlines(config(c.env), scope.user.policy)));
  };
}

/**
 * The planner: from the request's features, the user's policy, the sidecars' last reported state and
 * the recorded performance, the ordered targets to try — each with its deadline and why — plus every
 * target left out and why, the rule that decided, and whether to hedge. Pure: no I/O, no clock.
 * The Durable Object runs it next to the state it reads; /v1/route/explain returns it unexecuted.
 */
import type { AttemptSummary } from "../errors.js";
import type { TaskKind } from "../classify/kinds.js";
import { withinBudget, type BudgetAction, type CostEstimate } from "../stats/budget.js";
import { DEFAULT_PRICES, type PriceTable } from "../stats/prices.js";
import { cheapestFirst } from "./cheapest.js";
import { contextShortfall, type ContextShortfall } from "./answer-room.js";
import { pickPreferred, modelTags, type LocalChoice, type LocalPick, type LocalWait, type SidecarView } from "./local.js";
import { adaptiveDeadline, DEFAULT_DEADLINE, promptScale, type PerfSummary } from "./perf.js";
import type { RoutingMode, RoutingPolicy } from "./policy.js";
import { defaultRulesFor, firstMatch, type Rule, type RuleAction, type RuleFacts } from "./rules.js";
import type { AgentShape } from "../classify/agent-shape.js";
import type { RiskOffset } from "../risk/learn.js";
import { planRisk, type PlanRisk } from "./risk-facts.js";
import { homeToolsFact, type ToolRecord } from "./tool-record.js";
import { ANY_LOCAL_MODEL, parseTarget, requireTarget, type ProviderId, type Target } from "./targets.js";

/** What the planner needs to know about the request (from the classifier and the body). */
export interface RouteFeatures {
  kind: TaskKind;
  complexity: number;
  promptTokens: number;
  /** Room to leave in a local context for the answer. */
  reserveTokens: number;
  /** Tools offered and tool_choice is not "none". */
  tools: boolean;
  images: boolean;
  json: boolean;
  /** The request body's `metadata`. */
  metadata: Readonly<Record<string, string>>;
  /** The home-risk model's logit for this request (before home-size and learned shifts); absent when not estimated. */
  homeRiskLogit?: number;
  /** The coding-agent call shape (classify/agent-shape.ts). */
  shape?: AgentShape;
}

export interface PlanInput {
  /** The request's `model` field. */
  model: string;
  features: RouteFeatures;
  policy: RoutingPolicy;
  /** The request is marked private (`x-hearth-privacy: local-only`). */
  privateRequest: boolean;
  deploymentAutoTargets: readonly string[];
  /** Providers that can be used: cloud ones with a key, `local` when the tunnel is deployed. */
  configured: ReadonlySet<ProviderId>;
  /** Connected sidecars as the hub sees them; empty when none is (or home was not consulted). */
  sidecars: readonly SidecarView[];
  /** Observed performance by target id (`openai/gpt-4o-mini`, `local/<model>`, and `local` for all of home). */
  perf: Readonly<Record<string, PerfSummary>>;
  /** Cloud targets whose window breaker is open (see perf.ts windowBreaker). */
  openBreakers: ReadonlySet<string>;
  deadlines: {
    /** The deployment's cloud deadline to the first content (ms; the policy's wins). */
    cloudMs: number;
    /** The deployment's home first-token deadline (the policy's wins). */
    localMs: number;
  };
  /** Learned home-risk offsets by local model id (risk/learn.ts); absent when none. */
  riskOffsets?: Readonly<Record<string, RiskOffset>>;
  /** Home's tool-call record by local model id (tool-record.ts; kept by the checks of home's answers). Default: unknown. */
  toolRecord?: Readonly<Record<string, ToolRecord>>;
  /** Prices for `cloudOrder: "cheapest"` (USD per million tokens). Default: DEFAULT_PRICES. */
  prices?: PriceTable;
  /** The cloud spend budget in force (see stats/budget.ts); absent when none is set. */
  budget?: PlanBudget;
  /** Home models whose tool answers fail their checks too often now (stats/checks.ts). Default: none. */
  unreliableTools?: ReadonlySet<string>;
}

export interface PlanBudget {
  /** What may still be spent now (reservations of requests in flight deducted). */
  leftUsd: number;
  onExceeded: BudgetAction;
  /** This request's size, to estimate each cloud target's cost. */
  estimate: CostEstimate;
  /** When the budget that stands in the way starts again (seconds from now), for retry-after. */
  retryAfterSeconds?: number;
}

export interface PlannedTarget extends Target {
  /** First-token deadline for this target (ms). */
  deadlineMs: number;
  /** Home only: it is the one target left and is loading or full; the request waits for it (within its deadline). */
  wait?: LocalWait;
  /** Why it is here, in words. */
  why: string;
  /** Home: why this model of several sizes (see LocalPick); carried into the trace. */
  pick?: LocalPick;
}

export interface RoutePlan {
  mode: RoutingMode;
  /** `auto` or an explicit model name. */
  reason: "auto" | "explicit";
  /** The hybrid rule that decided (hybrid, `auto` only). */
  rule: { name: string; why: string[] } | undefined;
  targets: PlannedTarget[];
  /** Targets left out before any attempt. */
  skipped: AttemptSummary[];
  /** Every target considered, in order: traces are reported in this order. */
  order: string[];
  /** Start `backup` beside `primary` when it has not answered after `afterMs`. */
  hedge: { primary: string; backup: string; afterMs: number } | undefined;
  /** The request may not leave home (header or policy). */
  private: boolean;
  /** Other decisions worth reading: deadlines, reordering. */
  notes: string[];
  /** The home-risk estimate with home's size and learned shifts, in every mode (the rules read it in hybrid), when the request was estimated. */
  risk?: PlanRisk;
  /** Cloud targets were left out for the budget (reason `budget`): what to do when nothing else answers. */
  budget?: { onExceeded: BudgetAction; retryAfterSeconds?: number };
  /** Home was left out for its context (reason `context_too_long`): by how much, for the error's words. */
  context?: ContextShortfall;
}

/** What home can do, for rules; undefined while no sidecar is connected. */
export function localFacts(sidecars: readonly SidecarView[], f: RouteFeatures): RuleFacts["local"] {
  const models = sidecars.flatMap((s) => s.state.models).filter((m) => m.chat !== false);
  if (sidecars.length === 0) return undefined;
  const tags = new Set(models.flatMap((m) => modelTags(m)));
  return {
    fits: models.some((m) => m.contextLength >= f.promptTokens + f.reserveTokens),
    tools: models.some((m) => m.tools),
    vision: tags.has("vision"),
    tags,
  };
}

function decide(input: PlanInput, mode: RoutingMode): { sides: ("local" | "cloud")[]; rule?: { rule: Rule; why: string[] }; risk?: PlanRisk } {
  const f = input.features;
  // Estimated in every mode, so explain shows what home's outcomes taught whatever the mode.
  const risk = planRisk(f.homeRiskLogit, input.sidecars, input.riskOffsets, input.policy.cloudShare);
  const withRisk = risk ? { risk } : {};
  if (mode === "cloud_only") return { sides: ["cloud"], ...withRisk };
  if (mode === "local_only") return { sides: ["local"], ...withRisk };
  if (mode === "local_first") return { sides: ["local", "cloud"], ...withRisk };
  const rules = [...(input.policy.rules ?? []), ...(input.policy.defaultRules === false ? [] : defaultRulesFor(input.policy.cloudShare))];
  const homeTools = homeToolsFact(input.sidecars, input.toolRecord);
  const match = firstMatch(rules, {
    kind: f.kind,
    complexity: f.complexity,
    ...(risk ? { homeRisk: risk.risk, riskiest: risk.riskiest } : {}),
    ...(f.shape ? { shape: f.shape } : {}),
    ...(homeTools ? { homeTools } : {}),
    promptTokens: f.promptTokens,
    tools: f.tools,
    images: f.images,
    json: f.json,
    model: input.model,
    metadata: f.metadata,
    local: localFacts(input.sidecars, f),
  });
  // No rule matched (the user dropped the defaults): behave as local_first.
  if (!match) return { sides: ["local", "cloud"], ...withRisk };
  const { route, fallback = true } = match.rule.then;
  const other = route === "local" ? "cloud" : "local";
  return { sides: fallback ? [route, other] : [route], rule: match, ...withRisk };
}

/** Cloud targets for `auto`: listed order, fastest or cheapest first (the rule's order, else the policy's), open breakers last. */
function orderCloud(input: PlanInput, notes: string[], action: RuleAction | undefined): string[] {
  const listed = [...(input.policy.autoTargets ?? input.deploymentAutoTargets)];
  let out = listed;
  const order = action?.cloudOrder ?? input.policy.order;
  if (order === "cheapest") {
    const f = input.features;
    const cheapest = cheapestFirst(listed, { prices: input.prices ?? DEFAULT_PRICES, promptTokens: f.promptTokens, answerTokens: f.reserveTokens });
    out = cheapest.ordered;
    notes.push(cheapest.note);
  } else if (order === "fastest") {
    const p50 = (id: string) => {
      const s = input.perf[parseTarget(id)?.id ?? id];
      return s?.ready && s.ttftMs ? s.ttftMs.p50 : Infinity;
    };
    out = [...listed].sort((a, b) => p50(a) - p50(b));
    if (out.join() !== listed.join()) notes.push(`cloud ordered fastest first: ${out.join(", ")}`);
  }
  const open = out.filter((id) => input.openBreakers.has(parseTarget(id)?.id ?? id));
  if (open.length > 0) {
    out = [...out.filter((id) => !open.includes(id)), ...open];
    notes.push(`breaker open, tried last: ${open.join(", ")}`);
  }
  return out;
}

function localDeadline(input: PlanInput, modelId: string | undefined, action: RuleAction | undefined): { ms: number; why: string } {
  if (action?.localDeadlineMs) return { ms: action.localDeadlineMs, why: `rule deadline ${action.localDeadlineMs} ms` };
  const perModel = modelId ? input.perf[`local/${modelId}`] : undefined;
  const summary = perModel?.ready ? perModel : input.perf["local"];
  const empty: PerfSummary = { samples: 0, failures: 0, errorRate: 0, ready: false, ttftMs: undefined, tokensPerSecond: undefined, promptTokensP50: undefined };
  const d = adaptiveDeadline(
    summary ?? empty,
    {
      ceilingMs: input.policy.localFirstTokenMs ?? input.deadlines.localMs,
      floorMs: input.policy.localFirstTokenFloorMs ?? DEFAULT_DEADLINE.floorMs,
      multiplier: DEFAULT_DEADLINE.multiplier,
    },
    input.features.promptTokens,
  );
  return { ms: d.ms, why: `deadline ${d.why}` };
}

export interface PolicyGateInput {
  /** Providers with a key (and `local` when the hub is bound). */
  configured: ReadonlySet<ProviderId>;
  mode: RoutingMode;
  /** The request or the user is private: nothing of it may reach the cloud. */
  isPrivate: boolean;
}

/**
 * Why the deployment or the user's policy leaves a provider's targets out of a request, or undefined
 * when they may be used. Every API's requests pass it: chat's plans, embeddings' one target.
 * `budgetHome`: home was added because the budget left the cloud out (it then overrides cloud_only).
 */
export function policyGate(provider: ProviderId, o: PolicyGateInput, budgetHome = false): string | undefined {
  const isLocal = provider === "local";
  if (!o.configured.has(provider)) return "not_configured";
  if (!isLocal && o.isPrivate) return "private";
  if (!isLocal && o.mode === "local_only") return "policy_local_only";
  if (isLocal && o.mode === "cloud_only" && !budgetHome) return "policy_cloud_only";
  return undefined;
}

/** Why a target is left out before any attempt, or undefined when it may be tried. `budgetHome`: home was added because the budget left the cloud out. */
function gate(t: Target, input: PlanInput, mode: RoutingMode, isPrivate: boolean, budgetHome = false): string | undefined {
  const policy = policyGate(t.provider, { configured: input.configured, mode, isPrivate }, budgetHome);
  if (policy) return policy;
  if (t.provider !== "local" && input.budget && !withinBudget(input.budget.estimate, t.id, input.budget.leftUsd)) return "budget";
  return undefined;
}

/**
 * With `home_only`, a budget that leaves a cloud target out sends the request home instead, whatever
 * the mode or rule said (an explicitly named cloud model stays as named: its answer would be another model's).
 */
function budgetReroute(input: PlanInput, names: string[], explicit: boolean): boolean {
  const b = input.budget;
  if (!b || b.onExceeded !== "home_only" || explicit || names.includes("local")) return false;
  const blocked = names.some((n) => {
    const t = requireTarget(n);
    return t.provider !== "local" && input.configured.has(t.provider) && !withinBudget(b.estimate, t.id, b.leftUsd);
  });
  if (blocked) names.push("local");
  return blocked;
}

/** The home target for this request: a concrete model when one can take it now (or, with `wait`, soon), else why not. */
function resolveLocal(t: Target, input: PlanInput, action: RuleAction | undefined, wait = false): LocalChoice {
  const f = input.features;
  const prefs = t.model === ANY_LOCAL_MODEL ? action?.localModels : [t.model];
  const difficulty = { complexity: f.complexity, ...(input.policy.localHardAt !== undefined ? { hardAt: input.policy.localHardAt } : {}) };
  const unreliable = input.unreliableTools?.size ? { unreliableTools: input.unreliableTools } : {};
  return pickPreferred({ promptTokens: f.promptTokens, reserveTokens: f.reserveTokens, needsTools: f.tools, wait, ...difficulty, ...unreliable }, input.sidecars, prefs);
}

/** How far the request is from fitting the home models this target may use. */
function shortfallOf(t: Target, input: PlanInput, action: RuleAction | undefined): ContextShortfall | undefined {
  const f = input.features;
  const prefs = t.model === ANY_LOCAL_MODEL ? action?.localModels : [t.model];
  return contextShortfall({ promptTokens: f.promptTokens, reserveTokens: f.reserveTokens }, input.sidecars, prefs);
}

const WAITABLE: ReadonlySet<string> = new Set<LocalWait>(["loading", "overloaded"]);

function homeTarget(input: PlanInput, choice: Extract<LocalChoice, { ok: true }>, action: RuleAction | undefined): PlannedTarget {
  const id = choice.model.id;
  const d = localDeadline(input, id, action);
  const waits = choice.wait ? `; the only target left, so it waits for home (${choice.wait})` : "";
  return { provider: "local", model: id, id: `local/${id}`, deadlineMs: d.ms, why: `home: ${id} on ${choice.sidecarId}${choice.why ? ` (${choice.why})` : ""}; ${d.why}${waits}`, ...(choice.wait ? { wait: choice.wait } : {}), ...(choice.pick ? { pick: choice.pick } : {}) };
}

export function plan(input: PlanInput): RoutePlan {
  const mode = input.policy.mode ?? "local_first";
  const isPrivate = input.privateRequest || input.policy.private === true;
  const notes: string[] = [];
  const explicit = input.model !== "auto";
  const decided = explicit ? { sides: [] } : decide(input, mode);
  const action = decided.rule?.rule.then;
  const names = explicit
    ? [requireTarget(input.model).id === "local" ? "local" : input.model]
    : decided.sides.flatMap((side) => (side === "local" ? ["local"] : orderCloud(input, notes, action)));
  const budgetHome = budgetReroute(input, names, explicit);
  const targets: PlannedTarget[] = [];
  const skipped: AttemptSummary[] = [];
  const order: string[] = [];
  let context: ContextShortfall | undefined;
  for (const name of names) {
    let t = requireTarget(name);
    const skip = (reason: string) => {
      order.push(t.id);
      skipped.push({ target: t.id, outcome: "skipped", reason });
    };
    const gated = gate(t, input, mode, isPrivate, budgetHome);
    if (gated) {
      skip(gated);
      continue;
    }
    if (t.provider === "local") {
      const choice = resolveLocal(t, input, action);
      if (!choice.ok) {
        skip(choice.reason);
        if (choice.reason === "context_too_long") context ??= shortfallOf(t, input, action);
        continue;
      }
      const home = homeTarget(input, choice, action);
      order.push(home.id);
      targets.push(home);
      continue;
    }
    if (order.includes(t.id)) continue;
    order.push(t.id);
    const ms = action?.cloudDeadlineMs ?? input.policy.cloudFirstTokenMs ?? input.deadlines.cloudMs;
    targets.push({ ...t, deadlineMs: ms, why: explicit ? "named by the request" : decided.rule ? `rule ${decided.rule.rule.name}` : `policy ${mode}` });
  }
  waitForHome(input, action, { targets, skipped, order });
  const rule = decided.rule ? { name: decided.rule.rule.name, why: decided.rule.why } : undefined;
  const p: RoutePlan = {
    mode,
    reason: explicit ? "explicit" : "auto",
    rule,
    targets,
    skipped,
    order,
    hedge: hedgeFor(input, targets),
    private: isPrivate,
    notes,
    ...(decided.risk ? { risk: decided.risk } : {}),
    ...(context ? { context } : {}),
  };
  if (input.budget && skipped.some((s) => s.reason === "budget")) {
    const { onExceeded, retryAfterSeconds, leftUsd } = input.budget;
    p.budget = { onExceeded, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
    notes.push(`budget: cloud left out (${Math.max(0, leftUsd).toFixed(4)} USD left)${budgetHome ? "; home serves instead (home_only)" : ""}`);
  }
  return p;
}

/**
 * Nothing else may serve (the cloud is not allowed, not configured, or not in the plan) and home was
 * passed over only because it is loading or full: plan home anyway, marked to wait, rather than fail a
 * request that home will be able to take in a moment.
 */
function waitForHome(input: PlanInput, action: RuleAction | undefined, p: Pick<RoutePlan, "targets" | "skipped" | "order">): void {
  if (p.targets.length > 0) return;
  const i = p.skipped.findIndex((s) => parseTarget(s.target)?.provider === "local" && WAITABLE.has(s.reason));
  const skip = p.skipped[i];
  if (!skip) return;
  const choice = resolveLocal(requireTarget(skip.target), input, action, true);
  if (!choice.ok) return;
  const home = homeTarget(input, choice, action);
  p.skipped.splice(i, 1);
  p.order[p.order.indexOf(skip.target)] = home.id;
  p.targets.push(home);
}

/** Hedge when the policy asks, home goes first, a cloud target follows, and home's p95 is known (or set). */
function hedgeFor(input: PlanInput, targets: readonly PlannedTarget[]): RoutePlan["hedge"] {
  const h = input.policy.hedge;
  const [first] = targets;
  const backup = targets.find((t) => t.provider !== "local");
  if (!h?.enabled || !first || first.provider !== "local" || !backup) return undefined;
  const observed = input.perf[first.id]?.ready ? input.perf[first.id] : input.perf["local"];
  const afterMs = h.afterMs ?? (observed?.ready && observed.ttftMs ? Math.round(observed.ttftMs.p95 * promptScale(observed, input.features.promptTokens)) : undefined);
  if (afterMs === undefined || afterMs >= first.deadlineMs) return undefined;
  return { primary: first.id, backup: backup.id, afterMs };
}

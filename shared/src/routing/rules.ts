/**
 * Hybrid routing rules, as data: each rule is a condition on the request's features and on what
 * home can do, and an action (which side goes first, which local models to prefer, deadlines).
 * The first rule that matches decides; the defaults end with a catch-all. Users add their own rules
 * in front of the defaults (or replace them) through their policy; the schema below validates them.
 */
import { z } from "zod";
import { AGENT_SHAPES, type AgentShape } from "../classify/agent-shape.js";
import { TASK_KINDS, type TaskKind } from "../classify/kinds.js";

const ruleName = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,47}$/, "must be 1–48 characters: a-z, 0-9, - _ .");

/** What home can do right now, from the connected sidecars' advertised models. */
export const localConditionSchema = z
  .object({
    /** Some local model's context holds the prompt plus room for the answer. */
    fits: z.boolean().optional(),
    /** Some local model supports tool calls. */
    tools: z.boolean().optional(),
    /** Some local model is tagged `vision`. */
    vision: z.boolean().optional(),
    /** Some local model carries this tag (`code`, `vision`, or one the sidecar declares). */
    tag: z.string().min(1).max(32).optional(),
  })
  .strict();

export const ruleConditionSchema = z
  .object({
    /** The classifier's task kind is one of these. */
    kind: z.array(z.enum(TASK_KINDS)).min(1).optional(),
    /** Complexity (0–1) at least this. */
    complexityAtLeast: z.number().min(0).max(1).optional(),
    /** Complexity below this. */
    complexityBelow: z.number().min(0).max(1).optional(),
    /** Home risk (0–1: the chance home's answer is worse than the cloud's; see /v1/route/explain) at least this. */
    homeRiskAtLeast: z.number().min(0).max(1).optional(),
    /** Home risk below this. */
    homeRiskBelow: z.number().min(0).max(1).optional(),
    /** The request is (true) or is not (false) among the riskiest share the policy's `cloudShare` sends out. */
    riskiest: z.boolean().optional(),
    /**
     * Home's tool-call record: the share (0–1) of the home model's checked tool-call answers that
     * passed is below this. Matches only once the record holds TOOL_RECORD_MIN_CHECKED answers (unknown
     * never matches); the record comes from the checks of home's answers.
     */
    homeToolPassBelow: z.number().min(0).max(1).optional(),
    /** The coding-agent call shape is one of these (background, compaction, subagent, main, none). */
    shape: z.array(z.enum(AGENT_SHAPES)).min(1).optional(),
    /** Estimated prompt tokens at least this. */
    promptTokensAtLeast: z.number().int().nonnegative().optional(),
    /** The request offers tools (true) or does not (false). */
    tools: z.boolean().optional(),
    /** The request has images. */
    images: z.boolean().optional(),
    /** The request wants JSON output. */
    json: z.boolean().optional(),
    /** The request's `model` field; `*` matches any run of characters (e.g. `auto`, `local*`). */
    model: z.string().min(1).max(200).optional(),
    /** Every key of the request's `metadata` equals the given value. */
    metadata: z.record(z.string().max(64), z.string().max(512)).optional(),
    /** Conditions on home; they only match while a sidecar is connected (offline home is a skip, not a rule). */
    local: localConditionSchema.optional(),
  })
  .strict();

export const ruleActionSchema = z
  .object({
    /** Which side answers first. */
    route: z.enum(["local", "cloud"]),
    /** Try the other side after it fails or is passed over. Default: true. */
    fallback: z.boolean().optional(),
    /** Local models in order of preference: ids, or `tag:<tag>`. Default: Hearth's pick (loaded, free, largest). */
    localModels: z.array(z.string().min(1).max(200)).max(16).optional(),
    /** First-token deadline at home for this rule (ms). Default: the adaptive one. */
    localDeadlineMs: z.number().int().min(100).max(120_000).optional(),
    /** First-chunk deadline for cloud targets under this rule (ms). Default: the deployment's. */
    cloudDeadlineMs: z.number().int().min(100).max(600_000).optional(),
    /**
     * The order of the cloud targets under this rule: as listed, fastest observed first, or cheapest
     * first among those whose context holds the request (by the price table). Default: the policy's `order`.
     */
    cloudOrder: z.enum(["listed", "fastest", "cheapest"]).optional(),
  })
  .strict();

export const ruleSchema = z.object({ name: ruleName, when: ruleConditionSchema, then: ruleActionSchema }).strict();

export type LocalCondition = z.infer<typeof localConditionSchema>;
export type RuleCondition = z.infer<typeof ruleConditionSchema>;
export type RuleAction = z.infer<typeof ruleActionSchema>;
export type Rule = z.infer<typeof ruleSchema>;

/**
 * What the defaults do, in order: work home cannot do goes to the cloud; code goes to a code model
 * at home when there is one, else the cloud; hard requests (complexity ≥ 0.5: formal math, long
 * multi-part asks, logic puzzles with many conditions) go to the cloud; everything else (chat and
 * knowledge questions, extraction, summaries, writing and role-play, easy math and reasoning) is
 * answered at home. Coding-agent calls (classify/agent-shape.ts): background calls stay home; a
 * compaction goes to the cheapest target whose context holds it — home (free) when it fits, else the
 * cloud targets cheapest first (cheapest.ts); a main agent turn goes out when home's tool-call record
 * is poor (fewer than 90% of its checked tool answers passed) or its home risk is at least 0.7.
 * Kinds: see classify/kinds.ts.
 */
export const DEFAULT_RULES: readonly Rule[] = [
  { name: "tools-need-cloud", when: { tools: true, local: { tools: false } }, then: { route: "cloud" } },
  { name: "images-need-cloud", when: { images: true, local: { vision: false } }, then: { route: "cloud" } },
  // Before too-long-for-home: a compaction too long for home still wants the cheapest cloud that holds it.
  { name: "agent-compaction-cheapest", when: { shape: ["compaction"] }, then: { route: "local", cloudOrder: "cheapest" } },
  { name: "too-long-for-home", when: { local: { fits: false } }, then: { route: "cloud" } },
  { name: "agent-background-at-home", when: { shape: ["background"] }, then: { route: "local" } },
  { name: "agent-main-tools-unreliable-to-cloud", when: { shape: ["main"], homeToolPassBelow: 0.9 }, then: { route: "cloud" } },
  { name: "agent-main-risky-to-cloud", when: { shape: ["main"], homeRiskAtLeast: 0.7 }, then: { route: "cloud" } },
  { name: "code-at-home", when: { kind: ["code"], local: { tag: "code" } }, then: { route: "local", localModels: ["tag:code"] } },
  { name: "code-to-cloud", when: { kind: ["code"] }, then: { route: "cloud" } },
  { name: "hard-to-cloud", when: { complexityAtLeast: 0.5 }, then: { route: "cloud" } },
  { name: "simple-at-home", when: { kind: ["chat", "extraction", "creative"] }, then: { route: "local" } },
  { name: "default", when: {}, then: { route: "local" } },
];

/** Sends the riskiest `cloudShare` of requests out; see defaultRulesFor. */
export const RISKIEST_RULE: Rule = { name: "riskiest-to-cloud", when: { riskiest: true }, then: { route: "cloud" } };
const REPLACED_BY_CLOUD_SHARE = new Set(["agent-main-risky-to-cloud", "code-to-cloud", "hard-to-cloud"]);

/**
 * The default rules for a policy. With a `cloudShare`, the rules that send requests out by kind,
 * complexity or risk level give way to one that sends the riskiest share, so what leaves home (apart
 * from what home cannot do at all: tools, images, too long) is at most that share.
 */
export function defaultRulesFor(cloudShare: number | undefined): readonly Rule[] {
  if (cloudShare === undefined) return DEFAULT_RULES;
  return DEFAULT_RULES.flatMap((r) => (REPLACED_BY_CLOUD_SHARE.has(r.name) ? [] : r.name === "code-at-home" ? [RISKIEST_RULE, r] : [r]));
}

/** The request and home, as rules see them. */
export interface RuleFacts {
  kind: TaskKind;
  complexity: number;
  /** Home risk after the home-size and learned shifts (0–1); undefined when not estimated. */
  homeRisk?: number;
  /** Among the riskiest `cloudShare` of requests; false when no cloud share is set. */
  riskiest?: boolean;
  shape?: AgentShape;
  /** Home's tool-call record for the model that would take a tool request; undefined while too few answers were checked. */
  homeTools?: { model: string; passRate: number; checked: number };
  promptTokens: number;
  tools: boolean;
  images: boolean;
  json: boolean;
  model: string;
  metadata: Readonly<Record<string, string>>;
  /** Undefined while no sidecar is connected. */
  local: { fits: boolean; tools: boolean; vision: boolean; tags: ReadonlySet<string> } | undefined;
}

function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes("*")) return pattern === value;
  const re = new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return re.test(value);
}

/** The conditions of `when` that hold, in words; null as soon as one does not. */
export function matchRule(when: RuleCondition, f: RuleFacts): string[] | null {
  const why: string[] = [];
  const check = (ok: boolean, text: string): boolean => {
    if (ok) why.push(text);
    return ok;
  };
  if (when.kind && !check(when.kind.includes(f.kind), `kind ${f.kind}`)) return null;
  if (when.complexityAtLeast !== undefined && !check(f.complexity >= when.complexityAtLeast, `complexity ${f.complexity.toFixed(2)} ≥ ${when.complexityAtLeast}`)) return null;
  if (when.complexityBelow !== undefined && !check(f.complexity < when.complexityBelow, `complexity ${f.complexity.toFixed(2)} < ${when.complexityBelow}`)) return null;
  if (!matchRisk(when, f, check)) return null;
  if (when.promptTokensAtLeast !== undefined && !check(f.promptTokens >= when.promptTokensAtLeast, `~${f.promptTokens} tokens ≥ ${when.promptTokensAtLeast}`)) return null;
  if (when.tools !== undefined && !check(f.tools === when.tools, when.tools ? "tools offered" : "no tools")) return null;
  if (when.images !== undefined && !check(f.images === when.images, when.images ? "images" : "no images")) return null;
  if (when.json !== undefined && !check(f.json === when.json, when.json ? "JSON output" : "no JSON output")) return null;
  if (when.model !== undefined && !check(globMatch(when.model, f.model), `model ${f.model}`)) return null;
  if (when.metadata) {
    for (const [k, v] of Object.entries(when.metadata)) if (!check(f.metadata[k] === v, `metadata.${k}=${v}`)) return null;
  }
  if (when.local) {
    const l = f.local;
    if (!l) return null;
    const c = when.local;
    if (c.fits !== undefined && !check(l.fits === c.fits, c.fits ? "fits a local context" : "longer than every local context")) return null;
    if (c.tools !== undefined && !check(l.tools === c.tools, c.tools ? "a local model has tools" : "no local model has tools")) return null;
    if (c.vision !== undefined && !check(l.vision === c.vision, c.vision ? "a local model sees images" : "no local model sees images")) return null;
    if (c.tag !== undefined && !check(l.tags.has(c.tag), `a local model is tagged ${c.tag}`)) return null;
  }
  if (why.length === 0) why.push("always");
  return why;
}

function matchRisk(when: RuleCondition, f: RuleFacts, check: (ok: boolean, text: string) => boolean): boolean {
  const risk = f.homeRisk;
  const r = risk === undefined ? "unknown" : risk.toFixed(2);
  if (when.homeRiskAtLeast !== undefined && !check(risk !== undefined && risk >= when.homeRiskAtLeast, `home risk ${r} ≥ ${when.homeRiskAtLeast}`)) return false;
  if (when.homeRiskBelow !== undefined && !check(risk !== undefined && risk < when.homeRiskBelow, `home risk ${r} < ${when.homeRiskBelow}`)) return false;
  if (when.riskiest !== undefined && !check((f.riskiest ?? false) === when.riskiest, when.riskiest ? "among the riskiest cloud share" : "not among the riskiest cloud share")) return false;
  const shape = f.shape ?? "none";
  if (when.shape && !check(when.shape.includes(shape), `agent shape ${shape}`)) return false;
  const t = f.homeTools;
  if (when.homeToolPassBelow !== undefined && !check(t !== undefined && t.passRate < when.homeToolPassBelow, t ? `home tool calls ${t.passRate.toFixed(2)} passed (${t.model}, ${t.checked} checked) < ${when.homeToolPassBelow}` : "home tool record unknown")) return false;
  return true;
}

/** The first rule that matches, with the conditions that made it match. */
export function firstMatch(rules: readonly Rule[], f: RuleFacts): { rule: Rule; why: string[] } | undefined {
  for (const rule of rules) {
    const why = matchRule(rule.when, f);
    if (why) return { rule, why };
  }
  return undefined;
}

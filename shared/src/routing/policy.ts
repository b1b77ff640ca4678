/**
 * A user's routing policy: stored as JSON in D1, set through the admin API, validated here.
 * Every field is optional; the comments name the defaults.
 */
import { z } from "zod";
import { budgetSchema } from "../stats/budget.js";
import { isEmbeddingModelName } from "./embed.js";
import { ruleSchema } from "./rules.js";
import { parseTarget } from "./targets.js";

const cloudTargetName = z.string().refine((s) => parseTarget(s)?.provider !== "local" && parseTarget(s) !== null, {
  message: "must be provider/model with provider one of openai, anthropic",
});

/**
 * `local_first`: home first, then the cloud targets. `local_only`: never the cloud (503 with the
 * reason instead). `cloud_only`: never home. `hybrid`: rules decide per request which side goes first.
 */
export const ROUTING_MODES = ["local_first", "local_only", "cloud_only", "hybrid"] as const;
export type RoutingMode = (typeof ROUTING_MODES)[number];

/**
 * What happens when an answer from home fails a check of its form (README "Checked answers"):
 * `escalate` repairs it when the repair is exact, else the next target answers; `repair_only` repairs
 * and otherwise passes the answer on as it is; `pass` changes nothing (the checks still count).
 */
export const ANSWER_CHECK_MODES = ["escalate", "repair_only", "pass"] as const;
export type AnswerCheckMode = (typeof ANSWER_CHECK_MODES)[number];

export const hedgeSchema = z
  .object({
    /** Start the cloud beside a slow home answer and keep the first. Default: false. */
    enabled: z.boolean(),
    /**
     * Start the cloud when home has not answered after this (ms). Default: home's observed p95 time to
     * first token (no hedging until there are enough samples).
     */
    afterMs: z.number().int().min(10).max(120_000).optional(),
  })
  .strict();

export const routingPolicySchema = z
  .object({
    /** Default: local_first. */
    mode: z.enum(ROUTING_MODES).optional(),
    /** Ordered cloud targets for `model: "auto"`. Default: the deployment's HEARTH_AUTO_TARGETS. */
    autoTargets: z.array(cloudTargetName).min(1).max(8).optional(),
    /**
     * The most home may take to the first token before Hearth goes to the cloud (ms), and the deadline
     * used until enough answers were seen to adapt it. Default: the deployment's (10,000).
     */
    localFirstTokenMs: z.number().int().min(100).max(120_000).optional(),
    /** The least the adaptive home deadline may shrink to (ms). Default: 1,000. */
    localFirstTokenFloorMs: z.number().int().min(50).max(120_000).optional(),
    /** How long a cloud target may take to its first content (ms). Default: the deployment's (30,000). */
    cloudFirstTokenMs: z.number().int().min(100).max(600_000).optional(),
    /**
     * Once an answer has begun, the longest silence between two pieces of it (ms); longer is a stall:
     * the attempt ends and the generation is cancelled. Default: the deployment's (30,000).
     */
    idleTimeoutMs: z.number().int().min(100).max(600_000).optional(),
    /** Ceiling over the whole request, every attempt and the whole answer included (ms). Default: the deployment's (600,000). */
    totalTimeoutMs: z.number().int().min(1_000).max(3_600_000).optional(),
    /**
     * When a streamed answer breaks or stalls after it began, let the next target continue it (the text
     * so far as the assistant's prefix) in the same stream, instead of ending the stream with an error.
     * Default: false.
     */
    continueOnBreak: z.boolean().optional(),
    /**
     * With several models at home: requests whose complexity (0–1, see /v1/route/explain) is at least
     * this go to the largest model that can take them, easier ones to the smallest (fastest) — unless
     * memory (a load would evict) or load (no free slot) says otherwise. 0 = always the largest,
     * 1 = always the smallest. Default: 0.35.
     */
    localHardAt: z.number().min(0).max(1).optional(),
    /**
     * Hybrid: the share of requests (percent, 0–100) that may go to the cloud, the riskiest first by
     * the home-risk estimate (see /v1/route/explain `features.home_risk`); the default rules then send
     * that share out instead of routing by kind and complexity. Requests home cannot take at all
     * (tools, images, too long) go out regardless. Default: unset (rules by kind and complexity).
     */
    cloudShare: z.number().min(0).max(100).optional(),
    /** Answers from home that fail their checks: `escalate`, `repair_only` or `pass`. Default: escalate. */
    answerChecks: z.enum(ANSWER_CHECK_MODES).optional(),
    /**
     * A home model whose recent tool-call answers fail their checks more often than this (0–1) is not
     * offered tool requests (`unreliable_tools` in explain) until it is given another chance. 1 = never
     * skip. Default: 0.5.
     */
    unreliableToolsAt: z.number().min(0).max(1).optional(),
    /** Upstream attempts per target, retries included. Default: 3. */
    maxAttemptsPerTarget: z.number().int().min(1).max(5).optional(),
    /** Never send this user's requests to the cloud, whatever the mode or rules say. Default: false. */
    private: z.boolean().optional(),
    /** Hybrid rules, tried before the defaults (first match wins). Default: none. */
    rules: z.array(ruleSchema).max(50).optional(),
    /** Keep Hearth's default rules after the user's. Default: true. */
    defaultRules: z.boolean().optional(),
    /**
     * Cloud targets for `auto` in the listed order (`listed`), fastest observed first (`fastest`), or
     * cheapest first among those whose context holds the request (`cheapest`, by the price table). A
     * rule's `cloudOrder` wins over it. Either way a target whose breaker is open moves to the end.
     * Default: listed.
     */
    order: z.enum(["listed", "fastest", "cheapest"]).optional(),
    /** Default: off. */
    hedge: hedgeSchema.optional(),
    /**
     * The one embedding model `auto` stands for on POST /v1/embeddings (`local/<model>`,
     * `openai/<model>`, `text-embedding-…`). Never a list: vectors of different models cannot be
     * compared, so an embedding request never falls back to another model. Default: the deployment's
     * HEARTH_EMBEDDING_MODEL (none: `auto` is refused there).
     */
    embeddingModel: z.string().max(200).refine(isEmbeddingModelName, { message: "must be local/<model>, openai/<model> or text-embedding-…" }).optional(),
    /**
     * What model names mean on POST /v1/messages (Anthropic's API, e.g. Claude Code), tried before the
     * defaults: the first entry whose `match` (a name, `*` wildcards, case-insensitive) fits the
     * requested name says which Hearth model serves it (`auto`, `local/<id>`, `anthropic/<model>`…;
     * a `*` in `to` stands for the requested name). Default: Haiku-class names → `auto` (home first),
     * other `claude-*` names → `anthropic/<the same name>` (or `auto` without an Anthropic key).
     */
    modelMap: z
      .array(z.object({ match: z.string().min(1).max(200), to: z.string().min(1).max(200) }).strict())
      .max(50)
      .optional(),
    /**
     * Cloud spend limits in USD per UTC day and calendar month, and what happens once one is reached
     * (`home_only`, the default, or `refuse`); the deployment's limits apply too, the stricter wins.
     * Default: none.
     */
    budget: budgetSchema.optional(),
  })
  .strict();

export type RoutingPolicy = z.infer<typeof routingPolicySchema>;

/**
 * Model names → ordered cloud targets. Pure: the Worker passes in what is configured.
 */
import { z } from "zod";
import { HearthError, type AttemptSummary } from "../errors.js";

export const PROVIDERS = ["openai", "anthropic"] as const;
export type ProviderId = (typeof PROVIDERS)[number];

export interface Target {
  provider: ProviderId;
  /** The provider's own model name, e.g. `gpt-4.1-mini`. */
  model: string;
  /** `provider/model`, as written in headers and policies. */
  id: string;
}

// Bare model names that unambiguously belong to one provider, so stock clients that send
// `gpt-4o` or `claude-sonnet-4-5` work without learning Hearth's prefixes.
const BARE_NAME_PROVIDERS: ReadonlyArray<[RegExp, ProviderId]> = [
  [/^(gpt-|chatgpt-|o\d(-|$))/, "openai"],
  [/^claude-/, "anthropic"],
];

export function parseTarget(name: string): Target | null {
  const slash = name.indexOf("/");
  if (slash > 0) {
    const provider = name.slice(0, slash);
    const model = name.slice(slash + 1);
    if (!model || !(PROVIDERS as readonly string[]).includes(provider)) return null;
    return { provider: provider as ProviderId, model, id: `${provider}/${model}` };
  }
  for (const [pattern, provider] of BARE_NAME_PROVIDERS) {
    if (pattern.test(name)) return { provider, model: name, id: `${provider}/${name}` };
  }
  return null;
}

const targetName = z.string().refine((s) => parseTarget(s) !== null, {
  message: "must be provider/model with provider one of openai, anthropic",
});

/** A user's routing policy, stored as JSON in D1 and set through the admin API. */
export const routingPolicySchema = z
  .object({
    /** Ordered targets for `model: "auto"`. Default: the deployment's HEARTH_AUTO_TARGETS. */
    autoTargets: z.array(targetName).min(1).max(8).optional(),
    /** Upstream attempts per target, retries included. Default: 3. */
    maxAttemptsPerTarget: z.number().int().min(1).max(5).optional(),
  })
  .strict();

export type RoutingPolicy = z.infer<typeof routingPolicySchema>;

export interface RouteInput {
  /** The `model` field of the request. */
  model: string;
  policy: RoutingPolicy;
  /** The deployment's default list for `auto`. */
  deploymentAutoTargets: readonly string[];
  /** Providers that have an API key configured. */
  configured: ReadonlySet<ProviderId>;
}

export interface RoutePlan {
  /** Targets to try, in order. */
  targets: Target[];
  /** Targets left out before any attempt, with why. */
  skipped: AttemptSummary[];
  /** Why this list: `auto`, `explicit`. */
  reason: "auto" | "explicit";
}

/** Pure: which targets to try for this request, and which were left out and why. */
export function planRoute(input: RouteInput): RoutePlan {
  const isAuto = input.model === "auto";
  let names: readonly string[];
  if (isAuto) {
    names = input.policy.autoTargets ?? input.deploymentAutoTargets;
  } else {
    if (parseTarget(input.model) === null) {
      throw new HearthError(
        "model_not_found",
        `The model '${input.model}' does not exist. Use 'auto', 'openai/<model>' or 'anthropic/<model>'.`,
        { param: "model" },
      );
    }
    names = [input.model];
  }
  const targets: Target[] = [];
  const skipped: AttemptSummary[] = [];
  for (const name of names) {
    const target = parseTarget(name);
    if (!target) continue;
    if (!input.configured.has(target.provider)) {
      skipped.push({ target: target.id, outcome: "skipped", reason: "not_configured" });
    } else if (!targets.some((t) => t.id === target.id)) {
      targets.push(target);
    }
  }
  return { targets, skipped, reason: isAuto ? "auto" : "explicit" };
}

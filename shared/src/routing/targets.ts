/**
 * Model names → ordered cloud targets. Pure: the Worker passes in what is configured.
 */
import { z } from "zod";
import { HearthError, type AttemptSummary } from "../errors.js";

/** Cloud providers, reached with the operator's keys. */
export const PROVIDERS = ["openai", "anthropic"] as const;
export type CloudProviderId = (typeof PROVIDERS)[number];
/** `local` is the user's own sidecar. */
export type ProviderId = CloudProviderId | "local";

/** The model id of the local target when Hearth picks the local model (`auto`, or `local`). */
export const ANY_LOCAL_MODEL = "*";

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
  if (name === "local") return { provider: "local", model: ANY_LOCAL_MODEL, id: "local" };
  if (name.startsWith("local/") && name.length > 6) return { provider: "local", model: name.slice(6), id: name };
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

const cloudTargetName = z.string().refine((s) => parseTarget(s)?.provider !== "local" && parseTarget(s) !== null, {
  message: "must be provider/model with provider one of openai, anthropic",
});

export const ROUTING_MODES = ["local_first", "local_only", "cloud_only"] as const;
export type RoutingMode = (typeof ROUTING_MODES)[number];

/** A user's routing policy, stored as JSON in D1 and set through the admin API. */
export const routingPolicySchema = z
  .object({
    /**
     * `local_first`: home first, then the cloud targets. `local_only`: never the cloud (503 with the
     * reason instead). `cloud_only`: never home. Default: local_first.
     */
    mode: z.enum(ROUTING_MODES).optional(),
    /** Ordered cloud targets for `model: "auto"`. Default: the deployment's HEARTH_AUTO_TARGETS. */
    autoTargets: z.array(cloudTargetName).min(1).max(8).optional(),
    /** How long home may take to the first token before Hearth goes to the cloud (ms). Default: the deployment's. */
    localFirstTokenMs: z.number().int().min(100).max(120_000).optional(),
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
  /** Providers that can be used: cloud ones with an API key, `local` when the tunnel is deployed. */
  configured: ReadonlySet<ProviderId>;
}

export interface RoutePlan {
  /** Targets to try, in order. */
  targets: Target[];
  /** Targets left out before any attempt, with why. */
  skipped: AttemptSummary[];
  /** Why this list: `auto`, `explicit`. */
  reason: "auto" | "explicit";
  /** Every target considered, tried or skipped, in order (traces are reported in this order). */
  order: string[];
}

/** The names to try, in order, before filtering: what the model field and the policy mode ask for. */
function candidateNames(input: RouteInput, mode: RoutingMode): string[] {
  if (input.model !== "auto") return [input.model];
  const cloud = [...(input.policy.autoTargets ?? input.deploymentAutoTargets)];
  if (mode === "cloud_only") return cloud;
  if (mode === "local_only") return ["local"];
  return ["local", ...cloud];
}

/** Pure: which targets to try for this request, and which were left out and why. */
export function planRoute(input: RouteInput): RoutePlan {
  const mode = input.policy.mode ?? "local_first";
  if (input.model !== "auto" && parseTarget(input.model) === null) {
    throw new HearthError(
      "model_not_found",
      `The model '${input.model}' does not exist. Use 'auto', 'local/<model>', 'openai/<model>' or 'anthropic/<model>'.`,
      { param: "model" },
    );
  }
  const targets: Target[] = [];
  const skipped: AttemptSummary[] = [];
  const order: string[] = [];
  for (const name of candidateNames(input, mode)) {
    const target = parseTarget(name);
    if (!target) continue;
    order.push(target.id);
    const isLocal = target.provider === "local";
    const reason = !input.configured.has(target.provider)
      ? "not_configured"
      : mode === "local_only" && !isLocal
        ? "policy_local_only"
        : mode === "cloud_only" && isLocal
          ? "policy_cloud_only"
          : undefined;
    if (reason) skipped.push({ target: target.id, outcome: "skipped", reason });
    else if (!targets.some((t) => t.id === target.id)) targets.push(target);
  }
  return { targets, skipped, reason: input.model === "auto" ? "auto" : "explicit", order };
}

/**
 * Model names → targets: `auto`, `local`, `local/<model>`, `provider/model` and bare cloud names.
 */
import { HearthError } from "../errors.js";

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

/** The target a model name names, or a 404 naming the field. */
export function requireTarget(name: string): Target {
  const target = parseTarget(name);
  if (target) return target;
  throw new HearthError(
    "model_not_found",
    `The model '${name}' does not exist. Use 'auto', 'local', 'local/<model>', 'openai/<model>' or 'anthropic/<model>'.`,
    { param: "model" },
  );
}

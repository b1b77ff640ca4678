/** Flags the subcommands share with the serving command, as config overrides. */
import { coerce } from "../config.js";

const OVERRIDABLE = ["url", "token", "models", "ollama"] as const;

/** The string flags among url/token/models/ollama that were given, coerced like the serving command's. */
export function overrides(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of OVERRIDABLE) {
    const v = args[key];
    if (typeof v === "string" && v !== "") out[key] = coerce(key, v);
  }
  return out;
}

/**
 * What a model name sent to POST /v1/messages means. Clients of Anthropic's API (Claude Code above
 * all) send Claude names; the user's `modelMap` decides what each stands for, then the defaults:
 * Haiku-class names — Claude Code's background chores — go `auto` (home first), other Claude names
 * to that model at Anthropic (or `auto` when no Anthropic key is set). Hearth's own names (`auto`,
 * `local/…`, `openai/…`) mean what they mean on every route.
 */
import { parseTarget } from "@hearth/shared";

export interface ModelMapEntry {
  match: string;
  to: string;
}

export const DEFAULT_MODEL_MAP: readonly ModelMapEntry[] = [
  { match: "claude-*haiku*", to: "auto" },
  { match: "claude-*", to: "anthropic/*" },
];

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i");
}

export interface MappedModel {
  /** The Hearth model name that serves the request. */
  model: string;
  /** The entry that decided, when one did. */
  entry: ModelMapEntry | undefined;
}

export function mapModel(requested: string, userMap: readonly ModelMapEntry[] | undefined, anthropicConfigured: boolean): MappedModel {
  for (const entry of userMap ?? []) {
    if (glob(entry.match).test(requested)) return { model: entry.to.replaceAll("*", requested), entry };
  }
  // A Hearth name is already one; a Claude name is mapped by the defaults.
  if (requested === "auto" || requested === "local" || (requested.includes("/") && parseTarget(requested))) return { model: requested, entry: undefined };
  for (const entry of DEFAULT_MODEL_MAP) {
    if (!glob(entry.match).test(requested)) continue;
    const to = entry.to.replaceAll("*", requested);
    // Without a key for Anthropic the name cannot mean Anthropic: the user's own routing decides.
    if (!anthropicConfigured && parseTarget(to)?.provider === "anthropic") return { model: "auto", entry };
    return { model: to, entry };
  }
  return { model: requested, entry: undefined };
}

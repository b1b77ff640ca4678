/** Cloud providers by id. Adding one is a folder and a line here. */
import type { CloudProviderId, ProviderId } from "@hearth/shared";
import { anthropicProvider } from "./anthropic/index.js";
import { openaiProvider } from "./openai/index.js";
import type { Provider } from "./types.js";

export const providers: Record<CloudProviderId, Provider> = {
  openai: openaiProvider,
  anthropic: anthropicProvider,
};

/** Targets usable in this env: cloud providers with a key, and home when the hub is bound. */
export function configuredProviders(env: Env): Set<ProviderId> {
  const out = new Set<ProviderId>();
  for (const p of Object.values(providers)) if (p.config(env)) out.add(p.id);
  if (env.SIDECAR_HUB) out.add("local");
  return out;
}

/** Providers by id. Adding one is a folder and a line here. */
import type { ProviderId } from "@hearth/shared";
import { anthropicProvider } from "./anthropic/index.js";
import { localProvider } from "./local/index.js";
import { openaiProvider } from "./openai/index.js";
import type { Provider } from "./types.js";

export const providers: Record<ProviderId, Provider> = {
  openai: openaiProvider,
  anthropic: anthropicProvider,
  local: localProvider,
};

/** Providers usable in this env: cloud ones with a key, local when the hub is bound. */
export function configuredProviders(env: Env): Set<ProviderId> {
  const out = new Set<ProviderId>();
  for (const p of Object.values(providers)) if (p.config(env)) out.add(p.id);
  return out;
}

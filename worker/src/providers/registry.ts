/** Cloud providers by id. Adding one is a folder and a line here. */
import type { CloudProviderId, ProviderId } from "@hearth/shared";
import { anthropicProvider } from "./anthropic/index.js";
import { openaiProvider } from "./openai/index.js";
import type { Provider } from "./types.js";

export const providers: Record<CloudProviderId, Provider> = {
  openai: openaiProvider,
  anthropic: anthropicProvider,
};

const configured = new WeakMap<object, ReadonlySet<ProviderId>>();

/** Targets usable in this env: cloud providers with a key, and home when the hub is bound. Read once per env (Workers hand every request the same one). */
export function configuredProviders(env: Env): ReadonlySet<ProviderId> {
  let out = configured.get(env);
  if (!out) {
    const set = new Set<ProviderId>();
    for (const p of Object.values(providers)) if (p.config(env)) set.add(p.id);
    if (env.SIDECAR_HUB) set.add("local");
    configured.set(env, (out = set));
  }
  return out;
}

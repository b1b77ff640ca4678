/**
 * GET /v1/models in OpenAI's list shape: `auto`, then every target `auto` may use for this user whose
 * provider is configured. Hearth does not call the providers to list their catalogues: any
 * `openai/<model>` or `anthropic/<model>` is accepted and passed on.
 */
import { parseTarget } from "@hearth/shared";
import type { Context } from "hono";
import { config } from "../config.js";
import type { AppEnv } from "../http/types.js";
import { configuredProviders } from "../providers/registry.js";

export function listModels(c: Context<AppEnv>): Response {
  const configured = configuredProviders(c.env);
  const names = c.get("principal").user.policy.autoTargets ?? config(c.env).autoTargets;
  const created = 0;
  const data = [{ id: "auto", object: "model", created, owned_by: "hearth" }];
  for (const name of names) {
    const t = parseTarget(name);
    if (t && configured.has(t.provider) && !data.some((m) => m.id === t.id)) {
      data.push({ id: t.id, object: "model", created, owned_by: t.provider });
    }
  }
  return c.json({ object: "list", data });
}

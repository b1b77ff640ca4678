/**
 * GET /v1/models in OpenAI's list shape: `auto`, the models of the user's connected sidecar(s) as
 * `local/<id>`, then every cloud target `auto` may use whose provider is configured. Hearth does not
 * call the providers to list their catalogues: any `openai/<model>` or `anthropic/<model>` is accepted.
 */
import { parseTarget } from "@hearth/shared";
import type { Context } from "hono";
import { config } from "../config.js";
import type { AppEnv } from "../http/types.js";
import { configuredProviders } from "../providers/registry.js";
import { hubFor } from "../tunnel/stub.js";

const SNAPSHOT_TIMEOUT_MS = 2_000;

interface ModelEntry {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

export async function listModels(c: Context<AppEnv>): Promise<Response> {
  const { user } = c.get("principal");
  const configured = configuredProviders(c.env);
  const data: ModelEntry[] = [{ id: "auto", object: "model", created: 0, owned_by: "hearth" }];
  const add = (id: string, owner: string) => {
    if (!data.some((m) => m.id === id)) data.push({ id, object: "model", created: 0, owned_by: owner });
  };
  if (configured.has("local") && user.policy.mode !== "cloud_only") {
    // Listing must not hang on a slow hub: without an answer in time, list the cloud only.
    const snapshot = await Promise.race([
      hubFor(c.env, user.id).snapshot(),
      new Promise<undefined>((resolve) => setTimeout(resolve, SNAPSHOT_TIMEOUT_MS)),
    ]);
    for (const s of snapshot?.sidecars ?? []) for (const m of s.models) add(`local/${m.id}`, "local");
  }
  if (user.policy.mode !== "local_only") {
    for (const name of user.policy.autoTargets ?? config(c.env).autoTargets) {
      const t = parseTarget(name);
      if (t && configured.has(t.provider)) add(t.id, t.provider);
    }
  }
  return c.json({ object: "list", data });
}

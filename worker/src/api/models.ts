/**
 * GET /v1/models in OpenAI's list shape: `auto`, the models of the user's connected sidecar(s) as
 * `local/<id>`, then every cloud target `auto` may use whose provider is configured. Hearth does not
 * call the providers to list their catalogues: any `openai/<model>` or `anthropic/<model>` is accepted.
 *
 * Each entry says what the model does (`capabilities`: `chat`, `embeddings`; `dimensions`: its vectors'
 * length, when known). `auto` embeds when an embedding model is configured for it, which is then
 * listed too when it is OpenAI's.
 *
 * GET /v1/models/{id} answers one entry of that same list, or 404 model_not_found. Ids hold a `/`:
 * OpenAI's SDK sends it encoded (`local%2Fllama3.2:latest`), curl and older clients raw; both arrive here.
 */
import { HearthError, parseEmbeddingModel, parseTarget, type LocalModel } from "@hearth/shared";
import type { Context } from "hono";
import { config } from "../config.js";
import type { AppEnv } from "../http/types.js";
import { configuredEmbeddingModel } from "../embeddings/model.js";
import { configuredProviders } from "../providers/registry.js";
import { hubFor } from "../hub-client/index.js";

const SNAPSHOT_TIMEOUT_MS = 2_000;

interface ModelEntry {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  capabilities: Capability[];
  dimensions?: number;
}

type Capability = "chat" | "embeddings";

const entry = (id: string, owner: string, capabilities: Capability[] = ["chat"], dimensions?: number): ModelEntry => ({
  id,
  object: "model",
  created: 0,
  owned_by: owner,
  capabilities,
  ...(dimensions ? { dimensions } : {}),
});

const localEntry = (m: LocalModel): ModelEntry =>
  entry(`local/${m.id}`, "local", [...(m.chat !== false ? ["chat" as const] : []), ...(m.embeddings ? ["embeddings" as const] : [])], m.embeddingLength);

/** `auto`, and the cloud embedding model it stands for (if any, and usable). */
function autoModels(c: Context<AppEnv>): ModelEntry[] {
  const { policy } = c.get("principal").user;
  const name = configuredEmbeddingModel(c.env, policy);
  const target = name ? parseEmbeddingModel(name) : undefined;
  const out = [entry("auto", "hearth", target ? ["chat", "embeddings"] : ["chat"])];
  if (target && target.provider !== "local" && policy.mode !== "local_only" && configuredProviders(c.env).has(target.provider)) out.push(entry(target.id, target.provider, ["embeddings"]));
  return out;
}

/** The models of the user's connected sidecar(s); none when home is not configured or not for this user. */
async function localModels(c: Context<AppEnv>): Promise<ModelEntry[]> {
  const { user } = c.get("principal");
  if (!configuredProviders(c.env).has("local") || user.policy.mode === "cloud_only") return [];
  // Listing must not hang on a slow hub: without an answer in time, there are no local models to list.
  const snapshot = await Promise.race([
    hubFor(c.env, user.id).snapshot(),
    new Promise<undefined>((resolve) => setTimeout(resolve, SNAPSHOT_TIMEOUT_MS)),
  ]);
  return (snapshot?.sidecars ?? []).flatMap((s) => s.models.map(localEntry));
}

/** The cloud targets `auto` may use for this user, whose provider has a key. */
function cloudModels(c: Context<AppEnv>): ModelEntry[] {
  const { user } = c.get("principal");
  if (user.policy.mode === "local_only") return [];
  const configured = configuredProviders(c.env);
  const out: ModelEntry[] = [];
  for (const name of user.policy.autoTargets ?? config(c.env).autoTargets) {
    const t = parseTarget(name);
    if (t && configured.has(t.provider)) out.push(entry(t.id, t.provider));
  }
  return out;
}

function unique(models: ModelEntry[]): ModelEntry[] {
  const seen = new Set<string>();
  return models.filter((m) => !seen.has(m.id) && seen.add(m.id));
}

export async function listModels(c: Context<AppEnv>): Promise<Response> {
  const [auto, ...embedding] = autoModels(c);
  return c.json({ object: "list", data: unique([...(auto ? [auto] : []), ...(await localModels(c)), ...cloudModels(c), ...embedding]) });
}

export async function retrieveModel(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  // Only a local id needs the hub: `auto` and cloud ids are answered without waiting on it.
  const candidates = id.startsWith("local/") ? await localModels(c) : [...autoModels(c), ...cloudModels(c)];
  const model = candidates.find((m) => m.id === id);
  if (!model) {
    throw new HearthError("model_not_found", `The model '${id}' does not exist or is not available to this key. GET /v1/models lists those it can use.`, {
      param: "model",
    });
  }
  return c.json(model);
}

/**
 * GET /v1/home: the caller's connected sidecars as the hub sees them now — each machine's models
 * (loaded, loading, context, tags, what they can do), slots, queue, free memory, uptime, requests in
 * flight and breaker. The dashboard's Home view. Never any prompt text.
 */
import { modelTags } from "@hearth/shared";
import type { Context } from "hono";
import type { AppEnv } from "../http/types.js";
import type { HubSidecar } from "../hub-client/types.js";
import { hubFor } from "../hub-client/index.js";

function modelJson(m: HubSidecar["models"][number], loading: readonly string[]) {
  return {
    id: `local/${m.id}`,
    backend: m.backend,
    loaded: m.loaded,
    loading: loading.includes(m.id),
    context_length: m.contextLength,
    size_bytes: m.sizeBytes ?? null,
    tags: modelTags(m),
    tools: m.tools,
    chat: m.chat !== false,
    embeddings: m.embeddings === true,
    tokens_per_second: m.tokensPerSecond,
  };
}

export function homeJson(sidecars: readonly HubSidecar[], now: number) {
  return {
    object: "hearth.home",
    connected: sidecars.length > 0,
    sidecars: sidecars.map((s) => ({
      id: s.sidecarId,
      name: s.name ?? null,
      connected_at: new Date(s.connectedAt).toISOString(),
      uptime_seconds: Math.max(0, Math.round((now - s.connectedAt) / 1000)),
      slots: s.slots,
      queue: s.queue,
      inflight: s.inflight,
      free_memory_bytes: s.freeMemoryBytes ?? null,
      draining: s.draining,
      breaker: s.breaker,
      models: s.models.map((m) => modelJson(m, s.loading)),
    })),
  };
}

export async function getHome(c: Context<AppEnv>): Promise<Response> {
  const { sidecars } = await hubFor(c.env, c.get("principal").user.id).snapshot();
  return c.json(homeJson(sidecars, Date.now()));
}

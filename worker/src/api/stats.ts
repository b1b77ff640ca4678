/**
 * GET /v1/stats: the caller's own numbers from their Durable Object — requests and tokens by target,
 * local share, fallbacks by reason, time to first token and speed per target, breakers, sidecar
 * uptime, cloud cost avoided. DELETE /v1/stats starts them afresh. Never any prompt text.
 */
import type { Context } from "hono";
import type { AppEnv } from "../http/types.js";
import { hubFor } from "../tunnel/stub.js";

export async function getStats(c: Context<AppEnv>): Promise<Response> {
  return c.json(await hubFor(c.env, c.get("principal").user.id).stats());
}

export async function resetStats(c: Context<AppEnv>): Promise<Response> {
  await hubFor(c.env, c.get("principal").user.id).resetStats();
  return c.body(null, 204);
}

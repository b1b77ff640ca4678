/**
 * GET /v1/stats: the caller's own numbers from their Durable Object — requests and tokens by target,
 * local share, fallbacks by reason, time to first token and speed per target, breakers, sidecar
 * uptime, cloud cost avoided. DELETE /v1/stats starts them afresh. Never any prompt text.
 */
import type { Context } from "hono";
import type { AppEnv } from "../http/types.js";
import { flushRecords } from "../pipeline/record.js";
import { hubFor } from "../hub-client/index.js";

export async function getStats(c: Context<AppEnv>): Promise<Response> {
  const { user } = c.get("principal");
  // What this isolate still holds of the user's records goes first, so a read after a request sees it.
  await flushRecords(c.env, user.id, c.get("log"));
  return c.json(await hubFor(c.env, user.id).stats(user.policy.budget, user.policy.unreliableToolsAt));
}

export async function resetStats(c: Context<AppEnv>): Promise<Response> {
  const userId = c.get("principal").user.id;
  // Records of requests made before the reset must not land after it.
  await flushRecords(c.env, userId, c.get("log"));
  await hubFor(c.env, userId).resetStats();
  return c.body(null, 204);
}

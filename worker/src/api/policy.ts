/**
 * The caller's own routing policy:
 *   GET /v1/policy   → the policy as stored (`{}` is every default)
 *   PUT /v1/policy   the whole policy → the policy as stored; validated with the same schema as the
 *                    admin API, a 400 naming the bad field (`param`) otherwise.
 * The dashboard's Routing view reads and writes it.
 */
import { HearthError, routingPolicySchema } from "@hearth/shared";
import type { Context } from "hono";
import { forgetUser } from "../auth/middleware.js";
import * as db from "../db/users.js";
import { parseJsonBody, validate } from "../http/body.js";
import type { AppEnv } from "../http/types.js";

/** A policy is a few KB at most (50 rules, 50 model-map entries); the cap keeps a runaway body out of D1. */
const MAX_POLICY_BYTES = 64 * 1024;
const MAX_POLICY_DEPTH = 16;

export function getPolicy(c: Context<AppEnv>): Response {
  return c.json(c.get("principal").user.policy);
}

export async function putPolicy(c: Context<AppEnv>): Promise<Response> {
  const body = await parseJsonBody(c.req.raw, MAX_POLICY_BYTES, { maxDepth: MAX_POLICY_DEPTH });
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HearthError("invalid_request", "The policy must be a JSON object ({} for every default).");
  }
  const policy = validate(routingPolicySchema, body);
  const id = c.get("principal").user.id;
  const user = await db.setPolicy(c.env.DB, id, policy);
  if (!user) throw new HearthError("invalid_api_key", "This key's user no longer exists.");
  // The next request in this isolate reads the new policy; other isolates within AUTH_CACHE_TTL_MS.
  forgetUser(id);
  return c.json(user.policy);
}

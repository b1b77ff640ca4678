/**
 * GET /admin/usage: every user's usage, for the operator's dashboard — requests, local share, tokens,
 * cloud spend and cost avoided, connected sidecars — from each user's Durable Object. One call per
 * user, in parallel: meant for deployments of a household or a team, not thousands of users.
 */
import type { Context } from "hono";
import { flushRecords } from "../pipeline/record.js";
import * as db from "../db/users.js";
import type { AppEnv } from "../http/types.js";
import { hubFor } from "../hub-client/index.js";

export async function usage(c: Context<AppEnv>): Promise<Response> {
  const users = await db.listUsers(c.env.DB);
  const data = await Promise.all(
    users.map(async (u) => {
      // What this isolate still holds of the user's records goes first, as for GET /v1/stats.
      await flushRecords(c.env, u.id, c.get("log"));
      const s = await hubFor(c.env, u.id).stats();
      return {
        user_id: u.id,
        name: u.name,
        since: s.since,
        requests: s.requests,
        local_share: s.local_share,
        tokens: s.tokens,
        cloud_usd: s.cost.cloud_usd,
        avoided_usd: s.cost.avoided_usd,
        sidecars: s.sidecars.length,
      };
    }),
  );
  return c.json({ object: "list", data });
}

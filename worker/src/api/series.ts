/**
 * GET /v1/stats/series?range=1h|24h|7d|30d|1y[&step=<seconds>]: the caller's time series from their
 * Durable Object — one point per step, empty ones zero, so a chart has no holes. Never prompt text.
 */
import { HearthError, parseSeriesQuery } from "@hearth/shared";
import type { Context } from "hono";
import { flushRecords } from "../pipeline/record.js";
import type { AppEnv } from "../http/types.js";
import { hubFor } from "../hub-client/index.js";

export async function getSeries(c: Context<AppEnv>): Promise<Response> {
  const q = parseSeriesQuery(c.req.query("range"), c.req.query("step"), Date.now());
  if (!q.ok) throw new HearthError("invalid_request", q.message, { param: q.param });
  const userId = c.get("principal").user.id;
  await flushRecords(c.env, userId, c.get("log"));
  const body = await hubFor(c.env, userId).series(q.from, q.to, q.stepMs);
  const head = JSON.stringify({ object: "hearth.series", range: q.range, step_s: q.stepMs / 1000, from: q.from / 1000, to: q.to / 1000 });
  // The hub's answer is JSON text already ({targets, points}): spliced in, not parsed and written again.
  return c.body(`${head.slice(0, -1)},${body.slice(1)}`, 200, { "content-type": "application/json" });
}

/** The pipeline's view of a Hono request (pipeline/scope.ts). */
import type { Context } from "hono";
import { admitted } from "../auth/middleware.js";
import { config } from "../config.js";
import type { RequestScope } from "../scope.js";
import { parseJsonBody } from "./body.js";
import type { AppEnv } from "./types.js";

export function scopeOf(c: Context<AppEnv>): RequestScope {
  return {
    env: c.env,
    user: c.get("principal").user,
    requestId: c.get("requestId"),
    log: c.get("log"),
    startedAt: Date.now(),
    signal: c.req.raw.signal,
    header: (name) => c.req.header(name),
    json: (limits) => parseJsonBody(c.req.raw, config(c.env).maxBodyBytes, limits),
    admitted: () => admitted(c),
    waitUntil: (p) => c.executionCtx.waitUntil(p),
  };
}

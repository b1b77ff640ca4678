import type { MiddlewareHandler } from "hono";
import { config } from "../config.js";
import { createLogger } from "../log.js";
import type { AppEnv } from "./types.js";

/** Gives every request an id (returned as x-request-id) and a logger that carries it. */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("log", createLogger(config(c.env).logLevel, { requestId }));
    await next();
    // A WebSocket upgrade's 101 comes from the hub with immutable headers; it needs no id.
    if (c.res.status !== 101 && !c.res.headers.has("x-request-id")) c.res.headers.set("x-request-id", requestId);
  };
}

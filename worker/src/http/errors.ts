/**
 * The one place errors become responses. HearthErrors keep their status and code; anything else is a
 * 500 with a generic message (the detail goes to the log, never to the client).
 */
import { HearthError, formatTrace } from "@hearth/shared";
import type { Context, MiddlewareHandler } from "hono";
import { openaiErrors, type ErrorFormat } from "../pipeline/dialect.js";
import type { AppEnv } from "./types.js";

/** Marks every response Hearth itself produced as an error, so no caller mistakes it for an upstream's. */
export const HEARTH_ERROR_HEADER = "x-hearth-error";

/** The API a route speaks decides the error's shape: set here for a group of routes, before any check that may fail. */
export function errorFormat(format: ErrorFormat): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("errorFormat", format);
    await next();
  };
}

export function errorResponse(err: HearthError, requestId?: string, format: ErrorFormat = openaiErrors): Response {
  const headers = new Headers({ "content-type": "application/json", [HEARTH_ERROR_HEADER]: err.code });
  if (requestId) headers.set("x-request-id", requestId);
  if (err.retryAfterSeconds !== undefined) headers.set("retry-after", String(Math.ceil(err.retryAfterSeconds)));
  if (err.attempts && err.attempts.length > 0) {
    headers.set("x-hearth-trace", formatTrace(err.attempts));
    headers.set("x-hearth-attempts", String(err.attempts.filter((a) => a.outcome !== "skipped").length));
  }
  return new Response(JSON.stringify(format.body(err)), { status: err.status, headers });
}

export function onError(err: Error, c: Context<AppEnv>): Response {
  const requestId = c.get("requestId");
  const format = c.get("errorFormat");
  if (err instanceof HearthError) {
    if (err.side === "system") c.get("log")?.warn("request failed", { code: err.code, status: err.status, requestId });
    return errorResponse(err, requestId, format);
  }
  c.get("log")?.error("unhandled error", { name: err.name, message: err.message, requestId });
  return errorResponse(new HearthError("internal_error", "Hearth hit an internal error. The request id names it in the logs."), requestId, format);
}

export function notFound(c: Context<AppEnv>): Response {
  return errorResponse(
    new HearthError("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`),
    c.get("requestId"),
    c.get("errorFormat"),
  );
}


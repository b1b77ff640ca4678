/**
 * CORS for /v1, so a web page can call Hearth with an API key of its own. Which origins may is the
 * deployment's choice (HEARTH_CORS_ORIGINS): none by default, `*`, or a list of exact origins.
 * Credentials are never allowed: the key travels in a header the page sets itself, not in a cookie,
 * so no cookie-authenticated request can be made on a visitor's behalf.
 *
 * A preflight is answered here, before authentication (a browser never sends the key with it). An
 * origin that is not allowed gets no access-control-* header at all, and so is blocked by the browser.
 */
import type { MiddlewareHandler } from "hono";
import { config, type CorsOrigins } from "../config.js";
import type { AppEnv } from "./types.js";

export const CORS_ALLOWED_METHODS = "GET, POST, DELETE, OPTIONS";

/** How long a browser may reuse a preflight's answer (s). Chromium caps it at 7,200; Firefox at 86,400. */
export const CORS_MAX_AGE_SECONDS = 7_200;

/**
 * Allowed when a preflight names none. A preflight that names its headers has them echoed instead, so
 * a client library that adds one (the SDKs' x-stainless-* set grows) is not blocked by this list.
 */
export const CORS_ALLOWED_HEADERS = [
  "authorization",
  "content-type",
  "x-api-key",
  "x-hearth-privacy",
  "anthropic-version",
  "anthropic-beta",
  "anthropic-dangerous-direct-browser-access",
  "openai-organization",
  "openai-project",
  "idempotency-key",
  "x-stainless-arch",
  "x-stainless-lang",
  "x-stainless-os",
  "x-stainless-package-version",
  "x-stainless-retry-count",
  "x-stainless-runtime",
  "x-stainless-runtime-version",
  "x-stainless-timeout",
  "x-stainless-helper",
  "x-stainless-helper-method",
].join(", ");

/** Hearth's own response headers, which browser code may read only when they are exposed. */
export const CORS_EXPOSED_HEADERS = [
  "x-hearth-target",
  "x-hearth-attempts",
  "x-hearth-trace",
  "x-hearth-rule",
  "x-hearth-error",
  "x-request-id",
  "retry-after",
].join(", ");

/** A header name as RFC 9110 spells a token; anything else in a preflight's list is dropped, not echoed. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
/** Echo at most this many requested headers: a preflight is a few dozen at most. */
const MAX_ECHOED_HEADERS = 64;

export type CorsHeaders = Array<[name: string, value: string]>;

/** The access-control-allow-origin value for this origin, or undefined when it is not allowed. */
export function allowedOrigin(origins: CorsOrigins, origin: string | null): string | undefined {
  if (origins === "*") return "*";
  return origin !== null && origins.includes(origin) ? origin : undefined;
}

/** A CORS preflight: OPTIONS with an Origin and the method the browser means to use. */
export function isPreflight(req: Request): boolean {
  return req.method === "OPTIONS" && req.headers.has("origin") && req.headers.has("access-control-request-method");
}

/** With a list of origins the answer depends on the caller's origin, and caches must know that. */
const varyOrigin = (origins: CorsOrigins): CorsHeaders => (origins !== "*" && origins.length > 0 ? [["vary", "Origin"]] : []);

function echoedHeaders(requested: string | null): string | undefined {
  if (!requested) return undefined;
  const names = requested
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter((h) => TOKEN.test(h))
    .slice(0, MAX_ECHOED_HEADERS);
  return names.length > 0 ? names.join(", ") : undefined;
}

/** The headers of a preflight's 204, given the origin and its access-control-request-headers. */
export function preflightHeaders(origins: CorsOrigins, origin: string | null, requestedHeaders: string | null): CorsHeaders {
  const allow = allowedOrigin(origins, origin);
  if (!allow) return varyOrigin(origins);
  const echoed = echoedHeaders(requestedHeaders);
  return [
    ["access-control-allow-origin", allow],
    ["access-control-allow-methods", CORS_ALLOWED_METHODS],
    ["access-control-allow-headers", echoed ?? CORS_ALLOWED_HEADERS],
    ["access-control-max-age", String(CORS_MAX_AGE_SECONDS)],
    ...varyOrigin(origins),
    ...(echoed ? ([["vary", "Access-Control-Request-Headers"]] as CorsHeaders) : []),
  ];
}

/** The headers added to a real answer (success, error or stream) for this origin. */
export function answerHeaders(origins: CorsOrigins, origin: string | null): CorsHeaders {
  const allow = allowedOrigin(origins, origin);
  if (!allow) return varyOrigin(origins);
  return [["access-control-allow-origin", allow], ["access-control-expose-headers", CORS_EXPOSED_HEADERS], ...varyOrigin(origins)];
}

function apply(headers: Headers, list: CorsHeaders): void {
  for (const [name, value] of list) {
    if (name === "vary") headers.append(name, value);
    else headers.set(name, value);
  }
}

/**
 * Answers preflights (204, without a key, whatever the setting: with CORS headers only for an allowed
 * origin) and adds CORS headers to everything the routes after it answer, errors included: Hono's
 * onError has already turned a thrown error into c.res by the time next() returns.
 */
export function cors(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origins = config(c.env).corsOrigins;
    const origin = c.req.raw.headers.get("origin");
    if (isPreflight(c.req.raw)) {
      const headers = new Headers();
      apply(headers, preflightHeaders(origins, origin, c.req.raw.headers.get("access-control-request-headers")));
      return new Response(null, { status: 204, headers });
    }
    await next();
    // A WebSocket upgrade's 101 has immutable headers, and no browser reads it through CORS.
    if (c.res.status !== 101) apply(c.res.headers, answerHeaders(origins, origin));
  };
}

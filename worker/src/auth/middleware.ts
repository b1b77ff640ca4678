/**
 * API-key authentication for /v1: `Authorization: Bearer <key>` or `x-api-key: <key>`, else the
 * dashboard's session cookie (session/auth.ts).
 * Lookups are cached per isolate for a few seconds, so a busy key costs no D1 query per request and a
 * revoked key stops working everywhere within AUTH_CACHE_TTL_MS.
 */
import { HearthError } from "@hearth/shared";
import type { Context, MiddlewareHandler } from "hono";
import { findPrincipal, type Principal } from "../db/users.js";
import type { AppEnv } from "../http/types.js";
import { cookieSession } from "../session/auth.js";
import { TtlCache } from "./cache.js";
import { hashKey } from "../db/keys.js";

/** How long a key lookup is trusted, and so the longest a revocation takes to bite. */
export const AUTH_CACHE_TTL_MS = 5_000;
/** Unknown keys are remembered briefly, so a client stuck on a bad key cannot hammer D1. */
const NEGATIVE_TTL_MS = 1_000;

export const principalCache = new TtlCache<Principal | null>({ ttlMs: AUTH_CACHE_TTL_MS });

export function presentedKey(headers: Headers): string | undefined {
  const auth = headers.get("authorization");
  if (auth) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return match?.[1];
  }
  return headers.get("x-api-key")?.trim() || undefined;
}

/**
 * The principal a key stands for. The cache is keyed by the key as presented (the isolate holds it for
 * each request anyway): a key seen in the last seconds costs neither D1 nor its SHA-256, which is
 * only needed to look it up in D1, where only hashes are stored.
 */
export async function resolvePrincipal(db: D1Database, key: string): Promise<Principal | null> {
  const cached = principalCache.get(key);
  if (cached !== undefined) return cached;
  const principal = await findPrincipal(db, await hashKey(key));
  principalCache.set(key, principal, Date.now(), principal ? AUTH_CACHE_TTL_MS : NEGATIVE_TTL_MS);
  return principal;
}

/** Forget cached lookups for one user, after the admin API changed its keys or policy in this isolate. */
export function forgetUser(userId: string): void {
  principalCache.deleteWhere((p) => p?.user.id === userId);
}

export function requireApiKey(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = presentedKey(c.req.raw.headers);
    if (!key) {
      // The dashboard: no key in the browser, a session cookie instead (checked for CSRF on writes).
      const session = await cookieSession(c, "user");
      if (session instanceof Response) return session;
      if (session?.kind === "user") {
        c.set("principal", session.principal);
        return next();
      }
      throw new HearthError(
        "missing_api_key",
        "Missing API key. Send it as 'Authorization: Bearer <key>' (or 'x-api-key: <key>').",
      );
    }
    const principal = await resolvePrincipal(c.env.DB, key);
    // A sidecar token is not an API key: it may only open the tunnel.
    if (!principal || principal.kind !== "api") {
      throw new HearthError("invalid_api_key", "Invalid API key.");
    }
    c.set("principal", principal);
    await next();
  };
}

const rateLimited = () => new HearthError("rate_limited", "Rate limit reached for this API key. Retry shortly.", { retryAfterSeconds: 10 });

/**
 * Per-user request rate, through Cloudflare's rate-limiting binding. Its verdict is a round trip (about
 * half a millisecond under wrangler dev), so it is asked at once but awaited where it matters: before
 * any upstream or home is contacted (`admitted`), and before any response leaves — meanwhile the body
 * is read, validated and planned.
 */
export function rateLimit(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const verdict = c.env.RATE_LIMITER.limit({ key: c.get("principal").user.id }).then((r) => r.success);
    // Settled here too, so a route that never asks does not leave it unhandled.
    verdict.catch(() => undefined);
    c.set("admission", verdict);
    await next();
    if (!(await verdict)) throw rateLimited();
  };
}

/** Waits for the rate limiter's verdict; throws 429 when the key is over its rate. Call before contacting any target. */
export async function admitted(c: Context<AppEnv>): Promise<void> {
  const verdict = c.get("admission");
  if (verdict && !(await verdict)) throw rateLimited();
}

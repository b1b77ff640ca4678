/**
 * Authenticating a request by its session cookie, for the /v1 key middleware and the admin guard,
 * which try it only when no key or token was sent (a key in a header always wins: it is not ambient,
 * so it needs no CSRF check, and clients that send keys see no change).
 */
import { HearthError } from "@hearth/shared";
import type { Context } from "hono";
import { config } from "../config.js";
import { errorResponse } from "../http/errors.js";
import type { AppEnv } from "../http/types.js";
import { clearedCookie, cookieRequestAllowed, readCookie, SESSION_COOKIE } from "./cookie.js";
import { findSession, type SessionKind, type SessionLookup } from "./store.js";

export type LiveSession = Extract<SessionLookup, { ok: true }>;

export const isHttps = (url: string): boolean => url.startsWith("https:");

/** The session cookie's value, if the request carries one. */
export const sessionId = (c: Context<AppEnv>): string | undefined => readCookie(c.req.header("cookie") ?? null, SESSION_COOKIE);

export function refused(reason: "unknown" | "expired" | "revoked"): HearthError {
  return reason === "expired"
    ? new HearthError("session_expired", "Your dashboard session has expired. Sign in again.")
    : new HearthError("invalid_session", "Your dashboard session is no longer valid (signed out, key revoked, or unknown). Sign in again.");
}

/** An error answer that also tells the browser to drop the cookie that caused it. */
export function refusal(c: Context<AppEnv>, err: HearthError): Response {
  const res = errorResponse(err, c.get("requestId"));
  res.headers.append("set-cookie", clearedCookie(isHttps(c.req.url)));
  return res;
}

/**
 * The live session behind the request's cookie, checked for `want` and for CSRF; undefined when there
 * is no cookie. Throws (as a Response, with the cookie cleared) when the session is expired or gone,
 * and a HearthError when it is the wrong kind or a write fails the CSRF check.
 */
export async function cookieSession(c: Context<AppEnv>, want: SessionKind): Promise<LiveSession | Response | undefined> {
  const id = sessionId(c);
  if (!id) return undefined;
  const found = await findSession(c.env.DB, id, config(c.env).adminToken);
  if (!found.ok) return refusal(c, refused(found.reason));
  if (found.kind !== want) {
    throw want === "admin"
      ? new HearthError("invalid_admin_token", "This session is a user's, not the operator's: sign in with the admin token for the admin views.")
      : new HearthError("invalid_session", "An operator session has no user of its own: sign in with an API key to use /v1.");
  }
  const check = cookieRequestAllowed(c.req.raw, found.csrf);
  if (!check.ok) throw new HearthError("csrf_failed", `Refused a write made with the session cookie: ${check.why}.`);
  return found;
}

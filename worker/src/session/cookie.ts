/**
 * The dashboard's session cookie and the checks a cookie-authenticated request must pass. Pure: no
 * D1, no clock of their own, so each rule is tested alone (cookie.test.ts).
 *
 * A cookie is ambient — the browser attaches it to any request to this host — so unlike a key in a
 * header it proves nothing about who *made* the request. Hence, for writes: the session's CSRF token
 * in `x-hearth-csrf` (a page on another origin cannot read it) and an `Origin` equal to this origin.
 */
import { timingSafeEqual } from "../db/keys.js";

export const SESSION_COOKIE = "hearth_session";
export const CSRF_HEADER = "x-hearth-csrf";
/** How long a session lasts from sign-in (fixed, not sliding): 7 days. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** The value of one cookie in a Cookie header, or undefined. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** Set-Cookie for a new session. Secure only over HTTPS: `wrangler dev` serves plain http on 127.0.0.1. */
export function sessionCookie(id: string, maxAgeMs: number, https: boolean): string {
  const parts = [`${SESSION_COOKIE}=${id}`, "HttpOnly", "SameSite=Strict", "Path=/", `Max-Age=${Math.floor(maxAgeMs / 1000)}`];
  if (https) parts.push("Secure");
  return parts.join("; ");
}

/** Set-Cookie that makes the browser drop the session cookie. */
export function clearedCookie(https: boolean): string {
  return sessionCookie("", 0, https);
}

/** Methods that change nothing; everything else is a write. */
export const isSafeMethod = (method: string): boolean => method === "GET" || method === "HEAD" || method === "OPTIONS";

/**
 * Whether the request's Origin is this deployment's own origin. An absent Origin is not same-origin:
 * browsers send it on every cross-origin request and on same-origin non-GET fetches, so a write
 * without one did not come from the dashboard.
 */
export function sameOrigin(origin: string | null, requestUrl: string): boolean {
  if (!origin || origin === "null") return false;
  return origin === new URL(requestUrl).origin;
}

export type CookieCheck = { ok: true } | { ok: false; why: string };

/**
 * May a request authenticated by the session cookie go on? Safe methods may (SameSite=Strict keeps
 * the cookie off cross-site requests, and CORS never allows credentials, so no other site can read
 * the answer) — except a WebSocket upgrade, which CORS does not guard: it needs this origin too.
 * Writes need this origin and the session's CSRF token.
 */
export function cookieRequestAllowed(req: { method: string; url: string; headers: Headers }, csrf: string): CookieCheck {
  const origin = req.headers.get("origin");
  const upgrade = req.headers.get("upgrade")?.toLowerCase() === "websocket";
  if (isSafeMethod(req.method) && !upgrade) return { ok: true };
  if (!sameOrigin(origin, req.url)) return { ok: false, why: `the request's Origin (${origin ?? "none"}) is not this site's` };
  if (upgrade) return { ok: true };
  const sent = req.headers.get(CSRF_HEADER);
  if (!sent || !timingSafeEqual(sent, csrf)) return { ok: false, why: `the ${CSRF_HEADER} header is missing or wrong` };
  return { ok: true };
}

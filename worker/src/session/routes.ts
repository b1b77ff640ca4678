/**
 * Dashboard sign-in:
 *   POST /auth/login    {key} as JSON, or key=… as a form → a session cookie. An API key signs a user
 *                       in; HEARTH_ADMIN_TOKEN signs the operator in. The key is not kept anywhere.
 *                       JSON answers 200 {kind, user, csrf_token, expires_at}; a form answers 303 → /.
 *   POST /auth/logout   ends the session (if any) and clears the cookie; 204.
 *   GET  /auth/session  who is signed in: {kind, user, csrf_token, expires_at}, else 401.
 */
import { HearthError } from "@hearth/shared";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { resolvePrincipal } from "../auth/middleware.js";
import { timingSafeEqual } from "../db/keys.js";
import { config } from "../config.js";
import { parseJsonBody, readText, validate } from "../http/body.js";
import type { AppEnv } from "../http/types.js";
import { isHttps, refusal, refused, sessionId } from "./auth.js";
import { clearedCookie, sameOrigin, sessionCookie } from "./cookie.js";
import { createSession, deleteSession, findSession, purgeExpired, type SessionLookup } from "./store.js";

const loginBody = z.object({ key: z.string().trim().min(1, "sign in with an API key (hk_…) or the admin token").max(512) }).strict();
/** About one sign-in in this many also sweeps expired sessions out of D1. */
const PURGE_ONE_IN = 20;

async function readLogin(c: Context<AppEnv>): Promise<{ key: string; form: boolean }> {
  const type = c.req.header("content-type") ?? "";
  if (type.startsWith("application/x-www-form-urlencoded")) {
    const key = new URLSearchParams(await readText(c.req.raw, 4096)).get("key") ?? "";
    return { ...validate(loginBody, { key }), form: true };
  }
  return { ...validate(loginBody, await parseJsonBody(c.req.raw, 4096)), form: false };
}

function describe(s: Extract<SessionLookup, { ok: true }>, csrf: string, expiresAt: number) {
  return {
    object: "hearth.session",
    kind: s.kind,
    user: s.kind === "user" ? { id: s.principal.user.id, name: s.principal.user.name } : null,
    csrf_token: csrf,
    expires_at: new Date(expiresAt).toISOString(),
  };
}

async function login(c: Context<AppEnv>): Promise<Response> {
  // Login CSRF: another site must not sign a visitor into an account of its choosing.
  const origin = c.req.header("origin") ?? null;
  if (origin !== null && !sameOrigin(origin, c.req.url)) throw new HearthError("csrf_failed", `Sign-in from another origin (${origin}) is refused.`);
  // Every attempt counts, right or wrong: counting only failures would still let a guess that is
  // right through. Cloudflare sets cf-connecting-ip; locally all attempts share one bucket.
  const address = c.req.header("cf-connecting-ip") ?? "local";
  if (c.env.LOGIN_LIMITER && !(await c.env.LOGIN_LIMITER.limit({ key: address })).success) {
    throw new HearthError("rate_limited", "Too many sign-in attempts from this address. Wait a minute and try again.", { retryAfterSeconds: 60 });
  }
  const { key, form } = await readLogin(c);
  const adminToken = config(c.env).adminToken;
  let found: Extract<SessionLookup, { ok: true }>;
  let created;
  if (adminToken && timingSafeEqual(key, adminToken)) {
    created = await createSession(c.env.DB, { kind: "admin", adminToken });
    found = { ok: true, kind: "admin", csrf: created.csrf, expiresAt: created.expiresAt };
  } else {
    const principal = await resolvePrincipal(c.env.DB, key);
    if (!principal || principal.kind !== "api") {
      throw new HearthError("invalid_api_key", "That is neither an API key of this deployment nor its admin token.", { param: "key" });
    }
    created = await createSession(c.env.DB, { kind: "user", userId: principal.user.id, credentialId: principal.credentialId });
    found = { ok: true, kind: "user", principal, csrf: created.csrf, expiresAt: created.expiresAt };
  }
  if (Math.random() < 1 / PURGE_ONE_IN) c.executionCtx.waitUntil(purgeExpired(c.env.DB).catch(() => 0));
  const cookie = sessionCookie(created.id, created.expiresAt - Date.now(), isHttps(c.req.url));
  if (form) return new Response(null, { status: 303, headers: { location: "/", "set-cookie": cookie, "cache-control": "no-store" } });
  const res = c.json(describe(found, created.csrf, created.expiresAt));
  res.headers.set("set-cookie", cookie);
  res.headers.set("cache-control", "no-store");
  return res;
}

async function logout(c: Context<AppEnv>): Promise<Response> {
  const origin = c.req.header("origin") ?? null;
  if (origin !== null && !sameOrigin(origin, c.req.url)) throw new HearthError("csrf_failed", `Sign-out from another origin (${origin}) is refused.`);
  const id = sessionId(c);
  if (id) await deleteSession(c.env.DB, id);
  return new Response(null, { status: 204, headers: { "set-cookie": clearedCookie(isHttps(c.req.url)) } });
}

async function current(c: Context<AppEnv>): Promise<Response> {
  const id = sessionId(c);
  if (!id) throw new HearthError("invalid_session", "Not signed in.");
  const found = await findSession(c.env.DB, id, config(c.env).adminToken);
  if (!found.ok) {
    return refusal(c, refused(found.reason));
  }
  const res = c.json(describe(found, found.csrf, found.expiresAt));
  res.headers.set("cache-control", "no-store");
  return res;
}

export function authRoutes(): Hono<AppEnv> {
  const auth = new Hono<AppEnv>();
  auth.post("/login", login);
  auth.post("/logout", logout);
  auth.get("/session", current);
  return auth;
}

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, admin, call, newUser, type ErrorJson } from "./helpers.js";

const ORIGIN = "https://hearth.test";

interface SessionJson {
  kind: "user" | "admin";
  user: { id: string; name: string } | null;
  csrf_token: string;
  expires_at: string;
}

async function login(key: string, headers: Record<string, string> = {}) {
  const r = await call("/auth/login", { method: "POST", headers: { "content-type": "application/json", origin: ORIGIN, ...headers }, body: JSON.stringify({ key }) });
  const setCookie = r.headers.get("set-cookie") ?? "";
  const cookie = /^hearth_session=([^;]*)/.exec(setCookie)?.[1] ?? "";
  return { r, setCookie, cookie: `hearth_session=${cookie}`, body: r.status === 200 ? ((await r.json()) as SessionJson) : undefined };
}

const withCookie = (cookie: string, init: RequestInit & { headers?: Record<string, string> } = {}) => ({ ...init, headers: { cookie, ...init.headers } });
const code = async (r: Response) => ((await r.json()) as ErrorJson).error.code;

describe("sign-in with an API key", () => {
  it("sets an HttpOnly, SameSite=Strict, Secure (https) cookie for 7 days and never echoes the key", async () => {
    const u = await newUser("ann");
    const before = Date.now();
    const { r, setCookie, body } = await login(u.apiKey);
    expect(r.status).toBe(200);
    expect(setCookie).toMatch(/^hearth_session=[A-Za-z0-9_-]{40,}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=60479\d; Secure$/);
    expect(body).toMatchObject({ kind: "user", user: { id: u.id, name: "ann" }, csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/) });
    const expires = Date.parse(body?.expires_at ?? "");
    expect(expires - before).toBeGreaterThan(7 * 86_400_000 - 5_000);
    expect(expires - before).toBeLessThanOrEqual(7 * 86_400_000 + 5_000);
    expect(JSON.stringify(body)).not.toContain(u.apiKey);
    // Only the id's hash is stored.
    const id = /^hearth_session=([^;]*)/.exec(setCookie)?.[1] ?? "";
    const rows = await env.DB.prepare("SELECT id_hash FROM sessions WHERE user_id = ?").bind(u.id).all<{ id_hash: string }>();
    expect(rows.results).toHaveLength(1);
    expect(rows.results[0]?.id_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows.results[0]?.id_hash).not.toBe(id);
  });

  it("accepts a form post and redirects to the dashboard", async () => {
    const u = await newUser();
    const r = await call("/auth/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `key=${encodeURIComponent(u.apiKey)}`, redirect: "manual" });
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/");
    expect(r.headers.get("set-cookie")).toMatch(/^hearth_session=/);
  });

  it("refuses a wrong key (naming the field), a sidecar token, and a sign-in from another origin", async () => {
    const u = await newUser();
    const bad = await login("hk_nope");
    expect(bad.r.status).toBe(401);
    expect(((await bad.r.json()) as ErrorJson).error).toMatchObject({ code: "invalid_api_key", param: "key" });
    expect(bad.setCookie).toBe("");
    expect((await login(u.sidecarToken)).r.status).toBe(401);
    const cross = await login(u.apiKey, { origin: "https://evil.example" });
    expect(cross.r.status).toBe(403);
    expect(await code(cross.r)).toBe("csrf_failed");
    const empty = await call("/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(((await empty.json()) as ErrorJson).error).toMatchObject({ code: "invalid_request", param: "key" });
  });

  it("authenticates /v1 reads by the cookie, and says who is signed in", async () => {
    const u = await newUser("bea");
    const { cookie, body } = await login(u.apiKey);
    const me = await call("/v1/me", withCookie(cookie));
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: u.id, name: "bea" });
    const s = await call("/auth/session", withCookie(cookie));
    expect(s.status).toBe(200);
    expect(await s.json()).toEqual({ object: "hearth.session", kind: "user", user: { id: u.id, name: "bea" }, csrf_token: body?.csrf_token, expires_at: body?.expires_at });
    expect((await call("/auth/session")).status).toBe(401);
  });

  it("needs the CSRF header and this origin for a write made with the cookie", async () => {
    const u = await newUser();
    const { cookie, body } = await login(u.apiKey);
    const put = (headers: Record<string, string>) =>
      call("/v1/policy", withCookie(cookie, { method: "PUT", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ mode: "local_only" }) }));
    const noToken = await put({ origin: ORIGIN });
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as ErrorJson).error.message).toContain("x-hearth-csrf");
    expect(await code(await put({ origin: ORIGIN, "x-hearth-csrf": "wrong" }))).toBe("csrf_failed");
    expect(await code(await put({ origin: "https://evil.example", "x-hearth-csrf": body?.csrf_token ?? "" }))).toBe("csrf_failed");
    expect(await code(await put({ "x-hearth-csrf": body?.csrf_token ?? "" }))).toBe("csrf_failed");
    // Nothing was written by the refused ones.
    expect(await (await call("/v1/policy", withCookie(cookie))).json()).toEqual({});
    const ok = await put({ origin: ORIGIN, "x-hearth-csrf": body?.csrf_token ?? "" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ mode: "local_only" });
  });

  it("opens the live WebSocket with the cookie only from this origin (CORS does not guard an upgrade)", async () => {
    const u = await newUser();
    const { cookie } = await login(u.apiKey);
    const upgrade = (headers: Record<string, string>) => call("/v1/live", withCookie(cookie, { headers: { upgrade: "websocket", ...headers } }));
    const evil = await upgrade({ origin: "https://evil.example" });
    expect(evil.status).toBe(403);
    expect(await code(evil)).toBe("csrf_failed");
    expect((await upgrade({})).status).toBe(403);
    const ok = await upgrade({ origin: ORIGIN });
    expect(ok.status).toBe(101);
    ok.webSocket?.accept();
    ok.webSocket?.close(1000, "done");
  });

  it("lets a key in a header win over any cookie, with no CSRF check (clients are unchanged)", async () => {
    const u = await newUser();
    const r = await call("/v1/policy", {
      method: "PUT",
      headers: { authorization: `Bearer ${u.apiKey}`, cookie: "hearth_session=garbage", "content-type": "application/json" },
      body: JSON.stringify({ private: true }),
    });
    expect(r.status).toBe(200);
  });

  it("refuses an expired session with session_expired, clears the cookie and deletes it", async () => {
    const u = await newUser();
    const { cookie } = await login(u.apiKey);
    await env.DB.prepare("UPDATE sessions SET expires_at = ? WHERE user_id = ?").bind(Date.now() - 1, u.id).run();
    const r = await call("/v1/me", withCookie(cookie));
    expect(r.status).toBe(401);
    expect(r.headers.get("set-cookie")).toMatch(/^hearth_session=; .*Max-Age=0/);
    expect(await code(r)).toBe("session_expired");
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?").bind(u.id).first<{ n: number }>();
    expect(left?.n).toBe(0);
    expect(await code(await call("/v1/me", withCookie(cookie)))).toBe("invalid_session");
  });

  it("ends the session when the key that signed in is revoked", async () => {
    const u = await newUser();
    const { cookie } = await login(u.apiKey);
    const detail = (await (await admin("GET", `/users/${u.id}`)).json()) as { credentials: { id: string; kind: string }[] };
    await admin("DELETE", `/users/${u.id}/credentials/${detail.credentials.find((c) => c.kind === "api")?.id}`);
    const r = await call("/v1/me", withCookie(cookie));
    expect(r.status).toBe(401);
    expect(await code(r)).toBe("invalid_session");
  });

  it("signs out: the cookie is cleared and the session no longer works", async () => {
    const u = await newUser();
    const { cookie } = await login(u.apiKey);
    const out = await call("/auth/logout", withCookie(cookie, { method: "POST", headers: { origin: ORIGIN } }));
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^hearth_session=; .*Max-Age=0/);
    expect((await call("/v1/me", withCookie(cookie))).status).toBe(401);
  });
});

describe("operator sign-in", () => {
  it("gives an admin session that the admin API accepts, writes with CSRF only", async () => {
    const { r, cookie, body } = await login(ADMIN);
    expect(r.status).toBe(200);
    expect(body).toMatchObject({ kind: "admin", user: null });
    expect((await call("/admin/users", withCookie(cookie))).status).toBe(200);
    const create = (headers: Record<string, string>) =>
      call("/admin/users", withCookie(cookie, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ name: "via-cookie" }) }));
    expect(await code(await create({ origin: ORIGIN }))).toBe("csrf_failed");
    expect((await create({ origin: ORIGIN, "x-hearth-csrf": body?.csrf_token ?? "" })).status).toBe(201);
  });

  it("keeps user and operator sessions apart", async () => {
    const u = await newUser();
    const user = await login(u.apiKey);
    const op = await login(ADMIN);
    expect(await code(await call("/admin/users", withCookie(user.cookie)))).toBe("invalid_admin_token");
    expect(await code(await call("/v1/me", withCookie(op.cookie)))).toBe("invalid_session");
  });

  it("ends operator sessions when the admin token changes", async () => {
    const op = await login(ADMIN);
    await env.DB.prepare("UPDATE sessions SET admin_token_hash = 'x' WHERE kind = 'admin'").run();
    expect(await code(await call("/admin/users", withCookie(op.cookie)))).toBe("invalid_session");
  });
});

describe("GET/PUT /v1/policy", () => {
  const put = (key: string, body: string) => call("/v1/policy", { method: "PUT", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body });

  it("reads and replaces the caller's own policy", async () => {
    const u = await newUser();
    expect(await (await call("/v1/policy", { headers: { authorization: `Bearer ${u.apiKey}` } })).json()).toEqual({});
    const policy = { mode: "hybrid", hedge: { enabled: true, afterMs: 500 }, rules: [] };
    const r = await put(u.apiKey, JSON.stringify(policy));
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual(policy);
    expect(((await (await call("/v1/me", { headers: { authorization: `Bearer ${u.apiKey}` } })).json()) as { policy: unknown }).policy).toEqual(policy);
  });

  it("answers 400 naming the bad field, and keeps the old policy", async () => {
    const u = await newUser();
    await put(u.apiKey, JSON.stringify({ mode: "cloud_only" }));
    const bad = await put(u.apiKey, JSON.stringify({ mode: "sometimes" }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorJson).error).toMatchObject({ code: "invalid_request", param: "mode", type: "invalid_request_error" });
    const nested = await put(u.apiKey, JSON.stringify({ hedge: { enabled: "yes" } }));
    expect(((await nested.json()) as ErrorJson).error.param).toBe("hedge.enabled");
    expect(await (await call("/v1/policy", { headers: { authorization: `Bearer ${u.apiKey}` } })).json()).toEqual({ mode: "cloud_only" });
  });

  it("refuses unknown fields, a body that is no object, and bad JSON", async () => {
    // A second user: the test rate limit is 5 requests a minute per user.
    const u = await newUser();
    const unknown = await put(u.apiKey, JSON.stringify({ mood: "happy" }));
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as ErrorJson).error.message).toContain("mood");
    expect(await code(await put(u.apiKey, "[]"))).toBe("invalid_request");
    expect(await code(await put(u.apiKey, "{"))).toBe("invalid_json");
  });
});

describe("GET /v1/home", () => {
  it("says no sidecar is connected for a new user", async () => {
    const u = await newUser();
    const r = await call("/v1/home", { headers: { authorization: `Bearer ${u.apiKey}` } });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ object: "hearth.home", connected: false, sidecars: [] });
  });
});

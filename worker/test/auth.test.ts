import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { admin, call, chat, newUser, type ErrorJson } from "./helpers.js";

const hello = { model: "auto", messages: [{ role: "user", content: "hi" }] };

describe("API keys", () => {
  it("401s a request without a key, naming how to send one", async () => {
    const r = await call("/v1/models");
    expect(r.status).toBe(401);
    expect(r.headers.get("x-hearth-error")).toBe("missing_api_key");
    const body = (await r.json()) as ErrorJson;
    expect(body.error).toMatchObject({ code: "missing_api_key", type: "authentication_error", hearth: true });
    expect(body.error.message).toContain("Authorization: Bearer");
  });

  it("401s an unknown key", async () => {
    const r = await chat("hk_not-a-real-key", hello);
    expect(r.status).toBe(401);
    expect(((await r.json()) as ErrorJson).error.code).toBe("invalid_api_key");
  });

  it("accepts the key as Bearer or x-api-key", async () => {
    const u = await newUser();
    expect((await call("/v1/me", { headers: { authorization: `Bearer ${u.apiKey}` } })).status).toBe(200);
    expect((await call("/v1/me", { headers: { "x-api-key": u.apiKey } })).status).toBe(200);
  });

  it("refuses a sidecar token as an API key", async () => {
    const u = await newUser();
    const r = await call("/v1/me", { headers: { authorization: `Bearer ${u.sidecarToken}` } });
    expect(r.status).toBe(401);
  });

  it("stores only hashes and a short display prefix", async () => {
    const u = await newUser();
    const rows = await env.DB.prepare("SELECT prefix, hash FROM credentials WHERE user_id = ?").bind(u.id).all<{ prefix: string; hash: string }>();
    expect(rows.results).toHaveLength(2);
    for (const row of rows.results) {
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.hash).not.toContain(u.apiKey);
      expect(u.apiKey.startsWith(row.prefix) || u.sidecarToken.startsWith(row.prefix)).toBe(true);
      expect(row.prefix.length).toBeLessThan(12);
    }
  });

  it("serves a recently seen key from the cache, without reading D1", async () => {
    const u = await newUser();
    expect((await call("/v1/me", { headers: { authorization: `Bearer ${u.apiKey}` } })).status).toBe(200);
    // Pull the row out from under the cache: a D1 read would now fail the request.
    await env.DB.prepare("DELETE FROM credentials WHERE user_id = ?").bind(u.id).run();
    expect((await call("/v1/me", { headers: { authorization: `Bearer ${u.apiKey}` } })).status).toBe(200);
  });

  it("stops a revoked key at once in this isolate", async () => {
    const u = await newUser();
    expect((await call("/v1/me", { headers: { authorization: `Bearer ${u.apiKey}` } })).status).toBe(200);
    const detail = (await (await admin("GET", `/users/${u.id}`)).json()) as { credentials: { id: string; kind: string }[] };
    const apiCred = detail.credentials.find((c) => c.kind === "api");
    const revoke = await admin("DELETE", `/users/${u.id}/credentials/${apiCred?.id}`);
    expect(revoke.status).toBe(200);
    expect(((await revoke.json()) as { revokedAt: number }).revokedAt).toBeGreaterThan(0);
    expect((await call("/v1/me", { headers: { authorization: `Bearer ${u.apiKey}` } })).status).toBe(401);
  });

  it("shows a user only their own account", async () => {
    const a = await newUser("alice");
    await newUser("bob");
    const me = (await (await call("/v1/me", { headers: { authorization: `Bearer ${a.apiKey}` } })).json()) as { id: string; name: string };
    expect(me).toMatchObject({ id: a.id, name: "alice" });
    expect(JSON.stringify(me)).not.toContain("bob");
  });
});

describe("admin API", () => {
  it("creates a user and returns its key and sidecar token once", async () => {
    const r = await admin("POST", "/users", { name: "carol" });
    expect(r.status).toBe(201);
    const body = (await r.json()) as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(["apiKey", "id", "name", "sidecarToken"]);
    expect(body.apiKey).toMatch(/^hk_/);
    expect(body.sidecarToken).toMatch(/^hs_/);
    const listed = await (await admin("GET", `/users/${body.id}`)).text();
    expect(listed).not.toContain(body.apiKey);
    expect(listed).not.toContain(body.sidecarToken);
  });

  it("rejects a user's API key and a wrong admin token", async () => {
    const u = await newUser();
    expect((await admin("GET", "/users", undefined, u.apiKey)).status).toBe(401);
    expect((await admin("GET", "/users", undefined, "nope")).status).toBe(401);
    expect((await call("/admin/users")).status).toBe(401);
  });

  it("validates bodies and names the field", async () => {
    const r = await admin("POST", "/users", { name: "" });
    expect(r.status).toBe(400);
    expect(((await r.json()) as ErrorJson).error.param).toBe("name");
    const p = await admin("PUT", "/users/usr_missing/policy", { autoTargets: ["nope/x"] });
    expect(p.status).toBe(400);
    expect(((await p.json()) as ErrorJson).error.param).toBe("autoTargets[0]");
  });

  it("issues a new key and sets a policy that takes effect at once", async () => {
    const u = await newUser();
    const issued = await admin("POST", `/users/${u.id}/credentials`, { kind: "api" });
    expect(issued.status).toBe(201);
    const { key } = (await issued.json()) as { key: string };
    expect((await call("/v1/me", { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    const set = await admin("PUT", `/users/${u.id}/policy`, { autoTargets: ["openai/gpt-4.1-nano"] });
    expect(set.status).toBe(200);
    const me = (await (await call("/v1/me", { headers: { authorization: `Bearer ${key}` } })).json()) as { policy: unknown };
    expect(me.policy).toEqual({ autoTargets: ["openai/gpt-4.1-nano"] });
  });

  it("404s an unknown user", async () => {
    expect((await admin("GET", "/users/usr_nobody")).status).toBe(404);
    expect((await admin("DELETE", "/users/usr_nobody")).status).toBe(404);
  });
});

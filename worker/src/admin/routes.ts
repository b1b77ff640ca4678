/**
 * The operator's admin API, guarded by HEARTH_ADMIN_TOKEN (or an operator session cookie from the
 * dashboard's sign-in). JSON in and out.
 *   POST   /admin/users                      {name, policy?} → 201 {id, name, apiKey, sidecarToken}
 *   GET    /admin/users                      → {data: [user with credentials]}
 *   GET    /admin/users/:id                  → user with credentials
 *   DELETE /admin/users/:id                  → {id, deleted: true}
 *   PUT    /admin/users/:id/policy           {…policy} → user
 *   POST   /admin/users/:id/credentials      {kind: "api"|"sidecar"} → 201 {id, kind, prefix, key}
 *   DELETE /admin/users/:id/credentials/:cid → the credential, revoked
 *   GET    /admin/health                     → {status, checks: [{name, status, reason}], users}
 *   GET    /admin/usage                      → {data: [each user's requests, local share, tokens, spend, avoided]}
 */
import { HearthError, routingPolicySchema } from "@hearth/shared";
import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { forgetUser } from "../auth/middleware.js";
import { timingSafeEqual } from "../db/keys.js";
import { config } from "../config.js";
import * as db from "../db/users.js";
import { parseJsonBody, validate } from "../http/body.js";
import { cookieSession } from "../session/auth.js";
import { hubFor } from "../hub-client/index.js";
import { adminHealth } from "../health/routes.js";
import { usage } from "./usage.js";
import type { AppEnv } from "../http/types.js";

const createUserBody = z.object({
  name: z.string().trim().min(1).max(100),
  policy: routingPolicySchema.optional(),
});
const credentialBody = z.object({ kind: z.enum(["api", "sidecar"]) });

function requireAdmin(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = config(c.env).adminToken;
    if (!token) {
      throw new HearthError("admin_disabled", "The admin API is disabled: set the HEARTH_ADMIN_TOKEN secret.");
    }
    const header = c.req.header("authorization");
    if (!header) {
      // The dashboard's admin views: an operator session cookie (checked for CSRF on writes).
      const session = await cookieSession(c, "admin");
      if (session instanceof Response) return session;
      if (session) return next();
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    if (!match?.[1] || !timingSafeEqual(match[1], token)) {
      throw new HearthError("invalid_admin_token", "Invalid or missing admin token.");
    }
    await next();
  };
}

async function userOr404(d1: D1Database, id: string) {
  const user = await db.getUser(d1, id);
  if (!user) throw new HearthError("not_found", `No user '${id}'.`, { param: "id" });
  return { ...user, credentials: await db.listCredentials(d1, id) };
}

export function adminRoutes(): Hono<AppEnv> {
  const admin = new Hono<AppEnv>();
  admin.use("*", requireAdmin());
  admin.get("/health", adminHealth);

  admin.post("/users", async (c) => {
    const body = validate(createUserBody, await parseJsonBody(c.req.raw));
    const { user, apiKey, sidecarToken } = await db.createUser(c.env.DB, body.name, body.policy ?? {});
    return c.json({ id: user.id, name: user.name, apiKey, sidecarToken }, 201);
  });

  admin.get("/users", async (c) => {
    const users = await db.listUsers(c.env.DB);
    const data = await Promise.all(users.map(async (u) => ({ ...u, credentials: await db.listCredentials(c.env.DB, u.id) })));
    return c.json({ object: "list", data });
  });

  admin.get("/usage", usage);

  admin.get("/users/:id", async (c) => c.json(await userOr404(c.env.DB, c.req.param("id"))));

  admin.delete("/users/:id", async (c) => {
    const id = c.req.param("id");
    if (!(await db.deleteUser(c.env.DB, id))) throw new HearthError("not_found", `No user '${id}'.`, { param: "id" });
    forgetUser(id);
    // Its sidecars lose their connections too (their tokens are gone with the user).
    await hubFor(c.env, id).closeAll("user deleted");
    return c.json({ id, deleted: true });
  });

  admin.put("/users/:id/policy", async (c) => {
    const id = c.req.param("id");
    const policy = validate(routingPolicySchema, await parseJsonBody(c.req.raw));
    const user = await db.setPolicy(c.env.DB, id, policy);
    if (!user) throw new HearthError("not_found", `No user '${id}'.`, { param: "id" });
    forgetUser(id);
    return c.json(user);
  });

  admin.post("/users/:id/credentials", async (c) => {
    const id = c.req.param("id");
    const { kind } = validate(credentialBody, await parseJsonBody(c.req.raw));
    await userOr404(c.env.DB, id);
    const cred = await db.issueCredential(c.env.DB, id, kind);
    return c.json(cred, 201);
  });

  admin.delete("/users/:id/credentials/:cid", async (c) => {
    const id = c.req.param("id");
    const cred = await db.revokeCredential(c.env.DB, id, c.req.param("cid"));
    if (!cred) throw new HearthError("not_found", `User '${id}' has no credential '${c.req.param("cid")}'.`, { param: "cid" });
    forgetUser(id);
    // A revoked sidecar token also loses the connections it already opened.
    if (cred.kind === "sidecar") await hubFor(c.env, id).revokeCredential(cred.id);
    return c.json(cred);
  });

  return admin;
}

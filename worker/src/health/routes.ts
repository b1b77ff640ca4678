/**
 * GET /v1/health: the caller's own health — sidecars connected (models, last seen, draining), breakers
 * open, the budget, each cloud provider (key present, this user's recent error rate).
 * GET /admin/health: the operator's — D1 reachable (a timed SELECT 1), providers configured, vars sane,
 * how many users. Both answer 200 with `status` ok|warn|fail; `/healthz` stays the public liveness check.
 */
import type { Context } from "hono";
import { config } from "../config.js";
import { countUsers, pingDb } from "../db/users.js";
import type { AppEnv } from "../http/types.js";
import { configuredProviders } from "../providers/registry.js";
import { hubFor } from "../hub-client/index.js";
import { adminChecks, userChecks, worst, type AdminHealthInput } from "./checks.js";

/** D1 gets this long to answer SELECT 1 before the check fails. */
const D1_TIMEOUT_MS = 5_000;

export async function userHealth(c: Context<AppEnv>): Promise<Response> {
  const { user } = c.get("principal");
  const cfg = config(c.env);
  const hub = await hubFor(c.env, user.id).health(user.policy.budget);
  const now = Date.now();
  const checks = userChecks({ hub, policy: user.policy, configured: configuredProviders(c.env), deploymentAutoTargets: cfg.autoTargets, now });
  return c.json({
    object: "hearth.health",
    status: worst(checks),
    checks,
    sidecars: hub.sidecars.map((s) => ({
      id: s.sidecarId,
      name: s.name ?? null,
      connected_at: new Date(s.connectedAt).toISOString(),
      last_seen: s.lastSeenAt ? new Date(s.lastSeenAt).toISOString() : null,
      draining: s.draining,
      breaker: s.breaker,
      models: s.models.map((m) => `local/${m.id}`),
    })),
    budget: hub.budget,
  });
}

async function timedPing(db: D1Database): Promise<AdminHealthInput["d1"]> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${D1_TIMEOUT_MS} ms`)), D1_TIMEOUT_MS)));
  try {
    await Promise.race([pingDb(db), timeout]);
    return { ok: true, ms: Date.now() - started };
  } catch (err) {
    return { ok: false, ms: Date.now() - started, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export async function adminHealth(c: Context<AppEnv>): Promise<Response> {
  const cfg = config(c.env);
  const d1 = await timedPing(c.env.DB);
  const users = d1.ok ? await countUsers(c.env.DB).catch(() => undefined) : undefined;
  const checks = adminChecks({ d1, users, configured: configuredProviders(c.env), autoTargets: cfg.autoTargets, invalidVars: cfg.invalid, budget: cfg.budget });
  return c.json({ object: "hearth.admin_health", status: worst(checks), checks, users: users ?? null });
}

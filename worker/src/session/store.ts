/**
 * Sessions in D1 (migrations/0002_sessions.sql). The cookie carries 256 random bits; only their SHA-256
 * is stored, like API keys, so a copy of the database signs nobody in.
 */
import { type RoutingPolicy } from "@hearth/shared";
import { generateKey, hashKey } from "../db/keys.js";
import { parsePolicy, type Principal } from "../db/users.js";
import { SESSION_TTL_MS } from "./cookie.js";

export type SessionKind = "user" | "admin";

export interface NewSession {
  /** The cookie value: shown to the browser once, never stored. */
  id: string;
  csrf: string;
  expiresAt: number;
}

interface SessionRow {
  kind: SessionKind;
  user_id: string | null;
  credential_id: string | null;
  admin_token_hash: string | null;
  csrf: string;
  expires_at: number;
  /** From the joins: null when the user is gone or the key that signed in was revoked. */
  u_name: string | null;
  u_policy: string | null;
  u_created_at: number | null;
  c_live: number | null;
}

export type SessionLookup =
  | { ok: true; kind: "user"; principal: Principal; csrf: string; expiresAt: number }
  | { ok: true; kind: "admin"; csrf: string; expiresAt: number }
  | { ok: false; reason: "unknown" | "expired" | "revoked" };

/** A random opaque token (base64url, 256 bits), without the hk_/hs_ look of a credential. */
const randomToken = () => generateKey("api").slice(3);

export async function createSession(
  db: D1Database,
  who: { kind: "user"; userId: string; credentialId: string } | { kind: "admin"; adminToken: string },
  now = Date.now(),
): Promise<NewSession> {
  const session = { id: randomToken(), csrf: randomToken(), expiresAt: now + SESSION_TTL_MS };
  await db
    .prepare(
      `INSERT INTO sessions (id_hash, kind, user_id, credential_id, admin_token_hash, csrf, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      await hashKey(session.id),
      who.kind,
      who.kind === "user" ? who.userId : null,
      who.kind === "user" ? who.credentialId : null,
      who.kind === "admin" ? await hashKey(who.adminToken) : null,
      session.csrf,
      now,
      session.expiresAt,
    )
    .run();
  return session;
}

/**
 * What a cookie's session is now. Expired, revoked (its key revoked, its user deleted) and
 * admin sessions whose token has since changed are deleted here, so they cannot come back.
 */
export async function findSession(db: D1Database, id: string, adminToken: string | undefined, now = Date.now()): Promise<SessionLookup> {
  const idHash = await hashKey(id);
  const row = await db
    .prepare(
      `SELECT s.kind, s.user_id, s.credential_id, s.admin_token_hash, s.csrf, s.expires_at,
              u.name AS u_name, u.policy AS u_policy, u.created_at AS u_created_at, c.created_at AS c_live
         FROM sessions s
         LEFT JOIN users u ON u.id = s.user_id
         LEFT JOIN credentials c ON c.id = s.credential_id AND c.revoked_at IS NULL
        WHERE s.id_hash = ?`,
    )
    .bind(idHash)
    .first<SessionRow>();
  if (!row) return { ok: false, reason: "unknown" };
  const verdict = await judge(row, adminToken, now);
  if (!verdict.ok) await deleteSession(db, id, idHash);
  return verdict;
}

async function judge(row: SessionRow, adminToken: string | undefined, now: number): Promise<SessionLookup> {
  if (row.expires_at <= now) return { ok: false, reason: "expired" };
  if (row.kind === "admin") {
    const live = adminToken !== undefined && row.admin_token_hash === (await hashKey(adminToken));
    return live ? { ok: true, kind: "admin", csrf: row.csrf, expiresAt: row.expires_at } : { ok: false, reason: "revoked" };
  }
  if (!row.user_id || row.u_name === null || row.c_live === null || !row.credential_id) return { ok: false, reason: "revoked" };
  const policy: RoutingPolicy = parsePolicy(row.u_policy ?? "{}");
  const user = { id: row.user_id, name: row.u_name, policy, createdAt: row.u_created_at ?? 0 };
  return { ok: true, kind: "user", principal: { user, credentialId: row.credential_id, kind: "api" }, csrf: row.csrf, expiresAt: row.expires_at };
}

export async function deleteSession(db: D1Database, id: string, idHash?: string): Promise<void> {
  await db.prepare(`DELETE FROM sessions WHERE id_hash = ?`).bind(idHash ?? (await hashKey(id))).run();
}

/** Removes every expired session (called now and then on sign-in, so the table does not grow forever). */
export async function purgeExpired(db: D1Database, now = Date.now()): Promise<number> {
  const r = await db.prepare(`DELETE FROM sessions WHERE expires_at <= ?`).bind(now).run();
  return r.meta.changes ?? 0;
}

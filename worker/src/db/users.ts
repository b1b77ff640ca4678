/**
 * D1 access for users and their credentials. Every query is here, so the schema has one reader.
 */
import { routingPolicySchema, type RoutingPolicy } from "@hearth/shared";
import { displayPrefix, generateKey, hashKey, newId, type CredentialKind } from "./keys.js";

export interface User {
  id: string;
  name: string;
  policy: RoutingPolicy;
  createdAt: number;
}

export interface Credential {
  id: string;
  userId: string;
  kind: CredentialKind;
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
}

/** What a key resolves to on the hot path. */
export interface Principal {
  user: User;
  credentialId: string;
  kind: CredentialKind;
}

interface UserRow {
  id: string;
  name: string;
  policy: string;
  created_at: number;
}
interface CredentialRow {
  id: string;
  user_id: string;
  kind: CredentialKind;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
}

export function parsePolicy(json: string): RoutingPolicy {
  // A policy is validated on write; a stored one that no longer parses (schema moved on) falls back
  // to defaults rather than locking the user out.
  try {
    const parsed = routingPolicySchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

const toUser = (r: UserRow): User => ({ id: r.id, name: r.name, policy: parsePolicy(r.policy), createdAt: r.created_at });
const toCredential = (r: CredentialRow): Credential => ({
  id: r.id,
  userId: r.user_id,
  kind: r.kind,
  prefix: r.prefix,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export async function findPrincipal(db: D1Database, hash: string): Promise<Principal | null> {
  const row = await db
    .prepare(
      `SELECT c.id AS cid, c.kind, u.id, u.name, u.policy, u.created_at
         FROM credentials c JOIN users u ON u.id = c.user_id
        WHERE c.hash = ? AND c.revoked_at IS NULL`,
    )
    .bind(hash)
    .first<UserRow & { cid: string; kind: CredentialKind }>();
  return row ? { user: toUser(row), credentialId: row.cid, kind: row.kind } : null;
}

/** Creates a credential and returns it with the clear key — the only time the key exists in clear. */
export async function issueCredential(
  db: D1Database,
  userId: string,
  kind: CredentialKind,
  now = Date.now(),
): Promise<Credential & { key: string }> {
  const key = generateKey(kind);
  const cred = { id: newId("cred"), userId, kind, prefix: displayPrefix(key), createdAt: now, revokedAt: null };
  await db
    .prepare(`INSERT INTO credentials (id, user_id, kind, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
    .bind(cred.id, userId, kind, cred.prefix, await hashKey(key), now)
    .run();
  return { ...cred, key };
}

export async function createUser(
  db: D1Database,
  name: string,
  policy: RoutingPolicy,
  now = Date.now(),
): Promise<{ user: User; apiKey: string; sidecarToken: string }> {
  const user: User = { id: newId("usr"), name, policy, createdAt: now };
  await db
    .prepare(`INSERT INTO users (id, name, policy, created_at) VALUES (?, ?, ?, ?)`)
    .bind(user.id, name, JSON.stringify(policy), now)
    .run();
  const api = await issueCredential(db, user.id, "api", now);
  const sidecar = await issueCredential(db, user.id, "sidecar", now);
  return { user, apiKey: api.key, sidecarToken: sidecar.key };
}

export async function getUser(db: D1Database, id: string): Promise<User | null> {
  const row = await db.prepare(`SELECT * FROM users WHERE id = ?`).bind(id).first<UserRow>();
  return row ? toUser(row) : null;
}

export async function listUsers(db: D1Database): Promise<User[]> {
  const { results } = await db.prepare(`SELECT * FROM users ORDER BY created_at, id`).all<UserRow>();
  return results.map(toUser);
}

export async function listCredentials(db: D1Database, userId: string): Promise<Credential[]> {
  const { results } = await db
    .prepare(`SELECT id, user_id, kind, prefix, created_at, revoked_at FROM credentials WHERE user_id = ? ORDER BY created_at, id`)
    .bind(userId)
    .all<CredentialRow>();
  return results.map(toCredential);
}

/** Marks a credential revoked; returns it, or null when the user has no such credential. */
export async function revokeCredential(
  db: D1Database,
  userId: string,
  credentialId: string,
  now = Date.now(),
): Promise<Credential | null> {
  const row = await db
    .prepare(
      `UPDATE credentials SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND user_id = ?
       RETURNING id, user_id, kind, prefix, created_at, revoked_at`,
    )
    .bind(now, credentialId, userId)
    .first<CredentialRow>();
  return row ? toCredential(row) : null;
}

export async function setPolicy(db: D1Database, userId: string, policy: RoutingPolicy): Promise<User | null> {
  const row = await db
    .prepare(`UPDATE users SET policy = ? WHERE id = ? RETURNING *`)
    .bind(JSON.stringify(policy), userId)
    .first<UserRow>();
  return row ? toUser(row) : null;
}

export async function deleteUser(db: D1Database, userId: string): Promise<boolean> {
  // Credentials go first: D1 does not enforce foreign keys unless asked, so do not rely on CASCADE.
  const [, users] = await db.batch([
    db.prepare(`DELETE FROM credentials WHERE user_id = ?`).bind(userId),
    db.prepare(`DELETE FROM users WHERE id = ?`).bind(userId),
  ]);
  return (users?.meta.changes ?? 0) > 0;
}

/** How many users there are (the operator's health view). */
export async function countUsers(db: D1Database): Promise<number> {
  const row = await db.prepare(`SELECT COUNT(*) AS n FROM users`).first<{ n: number }>();
  return row?.n ?? 0;
}

/** A round trip to D1 that touches no table: is the database reachable at all. */
export async function pingDb(db: D1Database): Promise<void> {
  await db.prepare(`SELECT 1`).first();
}

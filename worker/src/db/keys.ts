/**
 * Credentials: 256 random bits, shown once, stored as a SHA-256 hash. A fast hash is right here —
 * slow password hashes protect low-entropy secrets, and these are not guessable.
 */
export type CredentialKind = "api" | "sidecar";

const PREFIX: Record<CredentialKind, string> = { api: "hk_", sidecar: "hs_" };
/** How much of a key is kept in clear for display ("hk_3fA9…"). */
const DISPLAY_CHARS = 8;

function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function newId(prefix: string): string {
  return `${prefix}_${base64url(crypto.getRandomValues(new Uint8Array(12)))}`;
}

export function generateKey(kind: CredentialKind): string {
  return PREFIX[kind] + base64url(crypto.getRandomValues(new Uint8Array(32)));
}

export function displayPrefix(key: string): string {
  return key.slice(0, PREFIX.api.length + DISPLAY_CHARS);
}

export async function hashKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  let hex = "";
  for (const b of new Uint8Array(digest)) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** Constant-time string comparison, so the admin token cannot be found byte by byte. */
export function timingSafeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  for (let i = 0; i < Math.max(ea.length, eb.length); i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}

import { exports } from "cloudflare:workers";

export const ADMIN = "test-admin-token";

/** Calls the Worker in-process (no HTTP hop) the way a client would. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  // The generated Env types do not describe the entry module's exports; it is the Hono app's fetch.
  return (exports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default.fetch(new Request(`https://hearth.test${path}`, init));
}

export function admin(method: string, path: string, body?: unknown, token = ADMIN): Promise<Response> {
  return call(`/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function newUser(name = "u"): Promise<{ id: string; apiKey: string; sidecarToken: string }> {
  const r = await admin("POST", "/users", { name });
  if (r.status !== 201) throw new Error(`create user failed: ${r.status} ${await r.text()}`);
  return r.json();
}

export function chat(key: string, body: unknown): Promise<Response> {
  return call("/v1/chat/completions", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export interface ErrorJson {
  error: { message: string; type: string; param: string | null; code: string; hearth: boolean };
}

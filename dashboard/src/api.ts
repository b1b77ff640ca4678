/**
 * The dashboard's calls to its own Worker. The session cookie goes with every same-origin request by
 * itself; writes add the session's CSRF token. A 401 means the session ended: the app signs out.
 */

export interface Session {
  kind: "user" | "admin";
  user: { id: string; name: string } | null;
  csrf_token: string;
  expires_at: string;
}

/** An error answer from Hearth, in its OpenAI-style shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param: string | null,
  ) {
    super(message);
  }
}

let csrf = "";
let onSignedOut: (why: string) => void = () => undefined;

export function useSession(s: Session | null, signedOut?: (why: string) => void): void {
  csrf = s?.csrf_token ?? "";
  if (signedOut) onSignedOut = signedOut;
}

async function errorOf(r: Response): Promise<ApiError> {
  try {
    const body = (await r.json()) as { error?: { code?: string; message?: string; param?: string | null } };
    return new ApiError(r.status, body.error?.code ?? `http_${r.status}`, body.error?.message ?? r.statusText, body.error?.param ?? null);
  } catch {
    return new ApiError(r.status, `http_${r.status}`, r.statusText || `HTTP ${r.status}`, null);
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const method = init.method ?? "GET";
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET") headers["x-hearth-csrf"] = csrf;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  if (!r.ok) {
    const err = await errorOf(r);
    if (r.status === 401 && path !== "/auth/login") onSignedOut(err.code === "session_expired" ? "Your session expired. Sign in again." : "Signed out.");
    throw err;
  }
  if (r.status === 204) return undefined as T;
  return (await r.json()) as T;
}

/** GET that answers undefined when the route does not exist on this deployment (404 not_found). */
export async function optional<T>(path: string): Promise<T | undefined> {
  try {
    return await api<T>(path);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && err.code === "not_found") return undefined;
    throw err;
  }
}

export const signIn = (key: string) => api<Session>("/auth/login", { method: "POST", body: { key } });
export const signOut = () => api<void>("/auth/logout", { method: "POST" });
export async function currentSession(): Promise<Session | null> {
  const r = await fetch("/auth/session", { credentials: "same-origin" });
  return r.ok ? ((await r.json()) as Session) : null;
}

/**
 * Whether an Ollama answers, and its models (GET /api/tags), for `init` and `doctor`. Plain fetch with
 * a short timeout: a missing Ollama must cost a moment, not the client's default minutes.
 */
export type OllamaReport = { ok: true; url: string; models: { name: string; sizeBytes: number }[] } | { ok: false; url: string; error: string };

export const OLLAMA_DEFAULT = "http://127.0.0.1:11434";

/**
 * The Ollama a user most likely runs: OLLAMA_HOST as the Ollama CLI reads it (`host:port`, `:port`,
 * a URL; 0.0.0.0 — listen everywhere — is reached at 127.0.0.1), else 127.0.0.1:11434.
 */
export function ollamaUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.OLLAMA_HOST?.trim();
  if (!raw) return OLLAMA_DEFAULT;
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw.startsWith(":") ? `127.0.0.1${raw}` : raw}`;
  try {
    const url = new URL(withScheme);
    if (url.hostname === "0.0.0.0" || url.hostname === "[::]") url.hostname = "127.0.0.1";
    if (!url.port && url.protocol === "http:") url.port = "11434"; // Ollama's own default port
    return url.toString().replace(/\/$/, "");
  } catch {
    return OLLAMA_DEFAULT;
  }
}

export async function inspectOllama(url: string, timeoutMs = 2_000): Promise<OllamaReport> {
  try {
    const r = await fetch(`${url.replace(/\/+$/, "")}/api/tags`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!r.ok) return { ok: false, url, error: `GET /api/tags answered ${r.status}` };
    const body = (await r.json()) as { models?: { name?: unknown; size?: unknown }[] };
    const models = (body.models ?? []).flatMap((m) => (typeof m.name === "string" ? [{ name: m.name, sizeBytes: typeof m.size === "number" ? m.size : 0 }] : []));
    return { ok: true, url, models };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    return { ok: false, url, error: why };
  }
}

/**
 * Small helpers for end-to-end tests that look at Hearth's wire format directly: a raw chat POST, the
 * SSE events of a streamed answer, and the x-hearth-trace header as [target, outcome, reason].
 */
import { parseTrace } from "@hearth/shared";

/** Extra request headers (e.g. x-hearth-privacy) and a signal to abort with. */
export interface PostOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export function postChat(workerUrl: string, apiKey: string, body: object, opts: PostOptions = {}): Promise<Response> {
  return fetch(`${workerUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", ...opts.headers },
    body: JSON.stringify(body),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

/** The `data:` payloads of an SSE body, in order (`[DONE]` included, as sent). */
export function sseData(text: string): string[] {
  return text
    .split("\n\n")
    .filter((e) => e.trim() !== "")
    .map((e) => e.replace(/^data: /, ""));
}

export interface StreamChunk {
  id: string;
  model: string;
  choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** The chunks of a streamed answer (everything but `[DONE]` and error events). */
export function sseChunks(text: string): StreamChunk[] {
  return sseData(text)
    .filter((d) => d !== "[DONE]")
    .map((d) => JSON.parse(d) as StreamChunk | { error: unknown })
    .filter((c): c is StreamChunk => !("error" in c));
}

/** Text of a streamed answer. */
export const streamText = (chunks: readonly StreamChunk[]) => chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");

/** x-hearth-trace as [target, outcome, reason] triples. */
export function traceOf(headers: Headers): [string, string, string][] {
  return parseTrace(headers.get("x-hearth-trace")).map((t) => [t.target, t.outcome, t.reason]);
}

/** Reads a response body until `predicate` holds for the text so far; returns it, leaving the rest unread. */
export async function readUntil(r: Response, predicate: (text: string) => boolean, timeoutMs = 10_000): Promise<{ text: string; reader: ReadableStreamDefaultReader<Uint8Array> }> {
  if (!r.body) throw new Error(`no body (status ${r.status})`);
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const until = Date.now() + timeoutMs;
  while (!predicate(text)) {
    if (Date.now() > until) throw new Error(`timed out reading the stream; got:\n${text}`);
    const { done, value } = await reader.read();
    if (done) throw new Error(`the stream ended before the expected content; got:\n${text}`);
    text += decoder.decode(value, { stream: true });
  }
  return { text, reader };
}

/** Reads the rest of a body from a reader readUntil returned. */
export async function readRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
  }
}

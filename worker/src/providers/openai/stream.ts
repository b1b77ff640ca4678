/**
 * Chat Completions over plain fetch: the request, the error answer, and the SSE stream read as it
 * arrives — each network read's events parsed together and yielded as one batch, each chunk keeping
 * the JSON text it came as (passed on to the client unchanged). The official SDK does the same work
 * with several layers of async generators, header objects and log formatting per request; on this
 * path that was the largest share of Hearth's own time (profiled), so the provider speaks the wire
 * format itself. eventsource-parser does the SSE framing (sse-body.ts).
 */
import { parseRetryAfter, type AttemptFailure } from "@hearth/shared";
import { withPassthrough, withRaw, type Chunk } from "../../stream/chunks.js";
import { STATUS_OF_ERROR_TYPE } from "../sdk-errors.js";
import { errorBodyOf, SseBody } from "../sse-body.js";

const OPENAI_API = "https://api.openai.com/v1";

/** Where a call to OpenAI (or the OPENAI_BASE_URL endpoint) goes, and the headers every call sends. */
export function endpoint(cfg: { apiKey: string; baseURL?: string | undefined }, path: string, requestId: string): { url: string; headers: Record<string, string> } {
  const base = (cfg.baseURL ?? OPENAI_API).replace(/\/+$/, "");
  return { url: `${base}${path}`, headers: { authorization: `Bearer ${cfg.apiKey}`, "content-type": "application/json", "x-hearth-request-id": requestId } };
}

/** The upstream answered with an HTTP error (before any stream). */
export class UpstreamHttpError extends Error {
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  constructor(status: number, message: string, retryAfterMs: number | undefined) {
    super(message);
    this.name = "UpstreamHttpError";
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** An `error` event in the middle of a stream (after the 200): its type says which status it stands for. */
export class UpstreamStreamError extends Error {
  readonly type: string | undefined;
  constructor(type: string | undefined, message: string) {
    super(message);
    this.name = "UpstreamStreamError";
    this.type = type;
  }
}

interface ErrorJson {
  error?: { message?: unknown; type?: unknown } | string;
  message?: unknown;
}

function messageOf(body: ErrorJson | undefined, fallback: string): string {
  const e = body?.error;
  const msg = typeof e === "string" ? e : (e?.message ?? body?.message);
  return typeof msg === "string" && msg !== "" ? msg : fallback;
}

/** The error a non-2xx answer stands for, with the upstream's own message and retry-after. */
export async function httpError(res: Response): Promise<UpstreamHttpError> {
  const { text, json: body } = await errorBodyOf<ErrorJson>(res);
  const retryAfter = parseRetryAfter((name) => res.headers.get(name));
  return new UpstreamHttpError(res.status, messageOf(body, text.slice(0, 300) || res.statusText || `HTTP ${res.status}`), retryAfter);
}

function parseChunk(data: string): Chunk {
  const json = JSON.parse(data) as Chunk & ErrorJson;
  if (json.error !== undefined) {
    const type = typeof json.error === "object" && typeof json.error.type === "string" ? json.error.type : undefined;
    throw new UpstreamStreamError(type, messageOf(json, "the upstream sent an error mid-stream"));
  }
  return withRaw(json, data);
}

/**
 * The chunks of an SSE body, a batch per network read; ends at `[DONE]` (reading the body to its end,
 * so the connection can be reused). `passthrough`: the client speaks Chat Completions and will be
 * handed the bytes once its answer has begun (withPassthrough).
 */
export function sseChunks(body: ReadableStream<Uint8Array>, passthrough = false): AsyncGenerator<Chunk[]> {
  let batch: Chunk[] = [];
  let done = false;
  const sse = new SseBody(
    body,
    (event) => {
      if (done) return;
      if (event.data === "[DONE]") done = true;
      else batch.push(parseChunk(event.data));
    },
    () => {
      if (batch.length === 0) return undefined;
      const out = batch;
      batch = [];
      return out;
    },
    passthrough,
  );
  const batches = sse.batches();
  return passthrough ? withPassthrough(batches, () => sse.takeRest()) : batches;
}

/** Reduces anything this provider threw to what the retry decision needs. */
export function classifyError(err: unknown): AttemptFailure {
  if (err instanceof UpstreamHttpError) {
    const f: AttemptFailure = { kind: "http", status: err.status, message: err.message };
    if (err.retryAfterMs !== undefined) f.retryAfterMs = err.retryAfterMs;
    return f;
  }
  if (err instanceof UpstreamStreamError) {
    const status = err.type ? STATUS_OF_ERROR_TYPE[err.type] : undefined;
    return status === undefined ? { kind: "invalid_response", message: err.message } : { kind: "http", status, message: err.message };
  }
  // Garbage from the upstream is not worth retrying.
  if (err instanceof SyntaxError) return { kind: "invalid_response", message: err.message };
  // fetch's own failures (a TypeError, as the Fetch standard reports every network failure), a body
  // cut mid-read ("Network connection lost."), an abort.
  return { kind: "connection", message: err instanceof Error ? err.message : String(err) };
}

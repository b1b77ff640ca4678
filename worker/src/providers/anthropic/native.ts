/**
 * Anthropic's Messages API spoken natively, for a client that speaks it too (POST /v1/messages served
 * by Anthropic): the client's own body goes up (its model set to the target's), with its
 * `anthropic-version` and `anthropic-beta`; the events come back as they were sent. Each network
 * read's events become one batch that carries their SSE text (what the client gets, untouched) and
 * their translation into OpenAI chunks (what Hearth reads: when the answer began, finished, its
 * usage). Over fetch with eventsource-parser, like the OpenAI provider, so nothing is re-encoded.
 */
import { parseRetryAfter } from "@hearth/shared";
import type { EventSourceMessage } from "eventsource-parser";
import type { Message, RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages";
import { withBody, withPassthrough, type Chunk, type StreamItem } from "../../stream/chunks.js";
import { errorBodyOf, NativeBatch, SseBody } from "../sse-body.js";
import type { CloudCall, ProviderConfig } from "../types.js";
import { AnthropicApiError, StreamTruncatedError } from "./errors.js";
import { createChunkTranslator } from "./stream.js";
import { messageChunks } from "./whole.js";

const ANTHROPIC_API = "https://api.anthropic.com";
/** What a client that names no version gets: the API's first stable version, which every field still works with. */
const DEFAULT_VERSION = "2023-06-01";

/** What the client sent that goes up as is. */
export interface NativeMessages {
  body: Record<string, unknown>;
  version: string | undefined;
  beta: string | undefined;
}

interface ErrorJson {
  error?: { type?: unknown; message?: unknown };
}

async function apiError(res: Response): Promise<AnthropicApiError> {
  const { text, json: body } = await errorBodyOf<ErrorJson>(res);
  const type = typeof body?.error?.type === "string" ? body.error.type : undefined;
  const message = typeof body?.error?.message === "string" ? body.error.message : text.slice(0, 300) || `HTTP ${res.status}`;
  return new AnthropicApiError(res.status, type, message, parseRetryAfter((n) => res.headers.get(n)));
}

/** `passthrough`: the stream will be handed over once the answer began (withPassthrough). */
function events(body: ReadableStream<Uint8Array>, passthrough: boolean): AsyncGenerator<StreamItem> {
  const translate = createChunkTranslator(Math.floor(Date.now() / 1000));
  // Events with no OpenAI counterpart (a thinking delta) still go out, in a batch with no chunk.
  const batch = new NativeBatch();
  let stopped = false;
  const onEvent = (e: EventSourceMessage) => {
    if (stopped) return;
    const event = JSON.parse(e.data) as RawMessageStreamEvent | { type: "error"; error?: { type?: string; message?: string } };
    if (event.type === "error") throw new AnthropicApiError(undefined, event.error?.type, event.error?.message ?? "Anthropic sent an error mid-stream");
    batch.add(e.event ?? event.type, e.data, translate(event));
    stopped = event.type === "message_stop";
  };
  const sse = new SseBody(body, onEvent, batch.take, passthrough);
  async function* read(): AsyncGenerator<StreamItem> {
    yield* sse.batches();
    if (!stopped) throw new StreamTruncatedError();
  }
  const batches = read();
  return passthrough ? withPassthrough(batches, () => sse.takeRest()) : batches;
}

/** Where a call goes and the headers Anthropic needs: the key, and the client's version and betas passed on. */
function endpoint(cfg: ProviderConfig, path: string, native: NativeMessages, requestId: string): { url: string; headers: Record<string, string> } {
  const base = (cfg.baseURL ?? ANTHROPIC_API).replace(/\/+$/, "");
  return {
    url: `${base}${path}`,
    headers: {
      "x-api-key": cfg.apiKey,
      "anthropic-version": native.version ?? DEFAULT_VERSION,
      ...(native.beta ? { "anthropic-beta": native.beta } : {}),
      "content-type": "application/json",
      "x-hearth-request-id": requestId,
    },
  };
}

/** `passthrough`: the client's stream will be carried as it came once the answer began. */
export async function openNative(cfg: ProviderConfig, model: string, native: NativeMessages, call: CloudCall, passthrough = false): Promise<AsyncIterable<StreamItem>> {
  const { url, headers } = endpoint(cfg, "/v1/messages", native, call.requestId);
  const res = await fetch(url, {
    method: "POST",
    headers: { ...headers, accept: "text/event-stream" },
    body: JSON.stringify({ ...native.body, model, stream: true }),
    signal: call.signal,
  });
  if (!res.ok) throw await apiError(res);
  if (!res.body) throw new TypeError("Anthropic answered without a body");
  return events(res.body, passthrough);
}

/** The whole message (a client that does not stream): Anthropic's JSON as it came, beside its chat chunks. */
export async function completeNative(cfg: ProviderConfig, model: string, native: NativeMessages, call: CloudCall): Promise<Chunk[]> {
  const { url, headers } = endpoint(cfg, "/v1/messages", native, call.requestId);
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify({ ...native.body, model, stream: false }), signal: call.signal });
  if (!res.ok) throw await apiError(res);
  const text = await res.text();
  const message = JSON.parse(text) as Message;
  const failed = message as unknown as { type?: string; error?: { type?: string; message?: string } };
  if (failed.type === "error") throw new AnthropicApiError(undefined, failed.error?.type, failed.error?.message ?? "Anthropic answered with an error");
  return withBody(messageChunks(message, Math.floor(Date.now() / 1000)), text);
}

/** Counts a request's tokens at Anthropic (POST /v1/messages/count_tokens), the client's body as is. */
export async function countNative(cfg: ProviderConfig, model: string, native: NativeMessages, requestId: string): Promise<unknown> {
  const { url, headers } = endpoint(cfg, "/v1/messages/count_tokens", native, requestId);
  const res = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ ...native.body, model }),
  });
  if (!res.ok) throw await apiError(res);
  return res.json();
}

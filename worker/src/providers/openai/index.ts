/**
 * OpenAI (and any OpenAI-compatible endpoint via OPENAI_BASE_URL): Chat Completions, streamed, over
 * fetch (see stream.ts for why not the SDK).
 */
import type { ChatCompletion } from "openai/resources/chat/completions";
import { withBody } from "../../stream/chunks.js";
import { askToContinue } from "../continuation.js";
import type { ChatRequest } from "@hearth/shared";
import type { CloudCall, NativeCall, Provider, ProviderConfig } from "../types.js";
import { completionChunks } from "../whole.js";
import { toOpenAIRequest, toOpenAIStreamRequest } from "./request.js";
import { classifyError, endpoint, httpError, sseChunks, UpstreamStreamError } from "./stream.js";

/** A 200's body as a completion; an error object in it, or no choice at all, is the upstream's failure. */
function parseCompletion(text: string): ChatCompletion {
  const json = JSON.parse(text) as ChatCompletion & { error?: { type?: string; message?: string } };
  if (json.error !== undefined) throw new UpstreamStreamError(json.error.type, json.error.message ?? "the upstream answered with an error");
  if (!Array.isArray(json.choices) || json.choices.length === 0) throw new UpstreamStreamError(undefined, "the upstream answered without a choice");
  return json;
}

/** The whole completion (one batch); `keepBody`: the client speaks Chat Completions, and gets OpenAI's text as it came. */
async function completeChat(req: ChatRequest, model: string, cfg: ProviderConfig, call: CloudCall, keepBody: boolean) {
  const { url, headers } = endpoint(cfg, "/chat/completions", call.requestId);
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(toOpenAIRequest(req, model)), signal: call.signal });
  if (!res.ok) throw await httpError(res);
  // Read whole by the runtime: no JavaScript per token.
  const text = await res.text();
  const chunks = completionChunks(parseCompletion(text));
  return keepBody ? withBody(chunks, text) : chunks;
}

/**
 * The streamed answer. `passthrough`: the client speaks Chat Completions and its stream will be carried
 * as it came (pipeline/raw-stream.ts), so the usage chunk is asked for only if the client asked.
 */
async function streamChat(req: ChatRequest, model: string, cfg: ProviderConfig, call: CloudCall, passthrough: boolean) {
  const { url, headers } = endpoint(cfg, "/chat/completions", call.requestId);
  const usage = !passthrough || req.stream_options?.include_usage === true;
  const res = await fetch(url, {
    method: "POST",
    headers: { ...headers, accept: "text/event-stream" },
    body: JSON.stringify(toOpenAIStreamRequest(req, model, usage)),
    signal: call.signal,
  });
  if (!res.ok) throw await httpError(res);
  if (!res.body) throw new TypeError("the upstream answered without a body");
  return sseChunks(res.body, passthrough);
}

/**
 * A Chat Completions client's request is OpenAI's own: OpenAI's answers reach it as they came.
 * `passthrough`: its stream is carried by the runtime once the answer began (no continuation then).
 */
export function nativeChat(req: ChatRequest, passthrough = false): NativeCall {
  return {
    provider: "openai",
    open: (cfg, model, call) => streamChat(req, model, cfg, call, passthrough),
    complete: (cfg, model, call) => completeChat(req, model, cfg, call, true),
  };
}

export const openaiProvider: Provider = {
  id: "openai",
  config(env) {
    if (!env.OPENAI_API_KEY) return null;
    return { apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL || undefined };
  },
  stream: (req, model, cfg, call) => streamChat(req, model, cfg, call, false),
  complete: (req, model, cfg, call) => completeChat(req, model, cfg, call, false),
  continuation: askToContinue,
  classifyError,
};

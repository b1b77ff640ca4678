/**
 * OpenAI (and any OpenAI-compatible endpoint via OPENAI_BASE_URL): Chat Completions, streamed, over
 * fetch (see stream.ts for why not the SDK).
 */
import { askToContinue } from "../continuation.js";
import type { Provider } from "../types.js";
import { toOpenAIStreamRequest } from "./request.js";
import { classifyError, endpoint, httpError, sseChunks } from "./stream.js";

export const openaiProvider: Provider = {
  id: "openai",
  config(env) {
    if (!env.OPENAI_API_KEY) return null;
    return { apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL || undefined };
  },
  async stream(req, model, cfg, call) {
    const { url, headers } = endpoint(cfg, "/chat/completions", call.requestId);
    const res = await fetch(url, {
      method: "POST",
      headers: { ...headers, accept: "text/event-stream" },
      body: JSON.stringify(toOpenAIStreamRequest(req, model)),
      signal: call.signal,
    });
    if (!res.ok) throw await httpError(res);
    if (!res.body) throw new TypeError("the upstream answered without a body");
    return sseChunks(res.body);
  },
  continuation: askToContinue,
  classifyError,
};

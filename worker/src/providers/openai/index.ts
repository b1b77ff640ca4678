/**
 * OpenAI (and any OpenAI-compatible endpoint via OPENAI_BASE_URL): Chat Completions, streamed, over
 * fetch (see stream.ts for why not the SDK).
 */
import { askToContinue } from "../continuation.js";
import type { Provider } from "../types.js";
import { toOpenAIStreamRequest } from "./request.js";
import { classifyError, httpError, sseChunks } from "./stream.js";

const OPENAI_API = "https://api.openai.com/v1";

export const openaiProvider: Provider = {
  id: "openai",
  config(env) {
    if (!env.OPENAI_API_KEY) return null;
    return { apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL || undefined };
  },
  async stream(req, model, cfg, call) {
    const base = (cfg.baseURL ?? OPENAI_API).replace(/\/+$/, "");
    const res = await fetch(`${base}/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${cfg.apiKey}`,
        "content-type": "application/json",
        accept: "text/event-stream",
        "x-hearth-request-id": call.requestId,
      },
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

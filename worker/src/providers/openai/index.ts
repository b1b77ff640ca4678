/**
 * OpenAI (and any OpenAI-compatible endpoint via OPENAI_BASE_URL) through the official SDK.
 */
import OpenAI from "openai";
import { askToContinue } from "../continuation.js";
import { classifySdkError } from "../sdk-errors.js";
import type { CloudCall, Provider, ProviderConfig } from "../types.js";
import { toOpenAIStreamRequest } from "./request.js";

const clients = new Map<string, OpenAI>();

function client(cfg: ProviderConfig): OpenAI {
  const cacheKey = `${cfg.baseURL ?? ""}\n${cfg.apiKey}`;
  let c = clients.get(cacheKey);
  if (!c) {
    // Hearth retries itself (so every attempt is counted and visible); the SDK must not.
    c = new OpenAI({ apiKey: cfg.apiKey, baseURL: cfg.baseURL, maxRetries: 0 });
    clients.set(cacheKey, c);
  }
  return c;
}

const options = (call: CloudCall) => ({ signal: call.signal, headers: { "x-hearth-request-id": call.requestId } });

export const openaiProvider: Provider = {
  id: "openai",
  config(env) {
    if (!env.OPENAI_API_KEY) return null;
    return { apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL || undefined };
  },
  async stream(req, model, cfg, call) {
    return client(cfg).chat.completions.create(toOpenAIStreamRequest(req, model), options(call));
  },
  continuation: askToContinue,
  classifyError: (err) =>
    classifySdkError(err, {
      APIError: OpenAI.APIError,
      APIConnectionError: OpenAI.APIConnectionError,
      APIConnectionTimeoutError: OpenAI.APIConnectionTimeoutError,
      APIUserAbortError: OpenAI.APIUserAbortError,
    }),
};

/**
 * The Anthropic provider: its key from the Worker's env, and OpenAI ⇄ Anthropic translation around
 * one streaming SDK call per attempt.
 */
import { prefill } from "../continuation.js";
import type { Provider } from "../types.js";
import { createClient, requestOptions } from "./client.js";
import { classifyError } from "./errors.js";
import { toAnthropicRequest } from "./request.js";
import { translateStream } from "./stream.js";
import { messageChunks } from "./whole.js";

export { UnsupportedFeatureError, StreamTruncatedError } from "./errors.js";

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export const anthropicProvider: Provider = {
  id: "anthropic",

  config(env) {
    const apiKey = env.ANTHROPIC_API_KEY;
    if (!apiKey) return null;
    const baseURL = env.ANTHROPIC_BASE_URL;
    return baseURL ? { apiKey, baseURL } : { apiKey };
  },

  async stream(req, model, cfg, call) {
    const params = toAnthropicRequest(req, model);
    // Resolves once the response headers arrived, so a refusal rejects here, before any chunk.
    const events = await createClient(cfg).messages.create({ ...params, stream: true }, requestOptions(call));
    // Aborting the call's signal aborts the SDK's request; the translation then ends with it.
    return translateStream(events, nowSeconds());
  },

  async complete(req, model, cfg, call) {
    const message = await createClient(cfg).messages.create({ ...toAnthropicRequest(req, model), stream: false }, requestOptions(call));
    return messageChunks(message, nowSeconds());
  },

  // Anthropic continues a trailing assistant turn natively (prefill).
  continuation: prefill,

  classifyError,
};

/**
 * The Anthropic provider: its key from the Worker's env, and OpenAI ⇄ Anthropic translation around
 * one SDK call per attempt.
 */
import type { Provider } from "../types.js";
import { createClient, requestOptions } from "./client.js";
import { classifyError } from "./errors.js";
import { toAnthropicRequest } from "./request.js";
import { fromAnthropicMessage } from "./response.js";
import { translateStream } from "./stream.js";

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

  async complete(req, model, cfg, ctx) {
    const params = toAnthropicRequest(req, model);
    const message = await createClient(cfg, ctx).messages.create(params, requestOptions(ctx));
    return fromAnthropicMessage(message, nowSeconds());
  },

  async stream(req, model, cfg, ctx) {
    const params = toAnthropicRequest(req, model);
    // Resolves once the response headers arrived, so a refusal rejects here, before any chunk.
    const events = await createClient(cfg, ctx).messages.create({ ...params, stream: true }, requestOptions(ctx));
    // Leaving the loop early returns the SDK stream's iterator, whose controller then aborts the request.
    return translateStream(events, nowSeconds());
  },

  classifyError,
};

/**
 * The Anthropic SDK client as Hearth uses it: Hearth counts and paces retries itself, so the SDK makes
 * exactly one attempt per call.
 */
import Anthropic from "@anthropic-ai/sdk";
import type { CloudCall, ProviderConfig } from "../types.js";

const clients = new Map<string, Anthropic>();

/** One client per key and base URL, kept for the isolate's life (as the OpenAI provider does). */
export function createClient(cfg: ProviderConfig): Anthropic {
  const cacheKey = `${cfg.baseURL ?? ""}\n${cfg.apiKey}`;
  const cached = clients.get(cacheKey);
  if (cached) return cached;
  const client = newClient(cfg);
  clients.set(cacheKey, client);
  return client;
}

function newClient(cfg: ProviderConfig): Anthropic {
  return new Anthropic({
    apiKey: cfg.apiKey,
    // null, not undefined: undefined would let the SDK read ANTHROPIC_BASE_URL from process.env.
    baseURL: cfg.baseURL ?? null,
    maxRetries: 0,
    // Looked up per call, not captured once: the client outlives any one fetch (tests replace it).
    fetch: (input, init) => globalThis.fetch(input, init),
    // The SDK's logger is console, and at debug it prints request bodies; Hearth logs for itself.
    logLevel: "off",
  });
}

/** Per-call options: our signal aborts the request, our id goes upstream for correlation. */
export function requestOptions(call: CloudCall) {
  return { signal: call.signal, headers: { "x-hearth-request-id": call.requestId } };
}

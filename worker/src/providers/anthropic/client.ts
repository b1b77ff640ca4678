/**
 * The Anthropic SDK client as Hearth uses it: Hearth counts and paces retries itself, so the SDK makes
 * exactly one attempt per call.
 */
import Anthropic from "@anthropic-ai/sdk";
import type { CallContext, ProviderConfig } from "../types.js";

export function createClient(cfg: ProviderConfig, ctx: CallContext): Anthropic {
  return new Anthropic({
    apiKey: cfg.apiKey,
    // null, not undefined: undefined would let the SDK read ANTHROPIC_BASE_URL from process.env.
    baseURL: cfg.baseURL ?? null,
    maxRetries: 0,
    timeout: ctx.timeoutMs,
    // The SDK's logger is console, and at debug it prints request bodies; Hearth logs for itself.
    logLevel: "off",
  });
}

/** Per-call options: our signal aborts the request, our id goes upstream for correlation. */
export function requestOptions(ctx: CallContext) {
  return { signal: ctx.signal, headers: { "x-hearth-request-id": ctx.requestId } };
}

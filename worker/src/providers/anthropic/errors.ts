/**
 * Errors this provider raises itself, and the one function that reduces anything thrown while calling
 * Anthropic to what the retry decision needs.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "@anthropic-ai/sdk";
import type { AttemptFailure } from "@hearth/shared";
import { STATUS_OF_ERROR_TYPE, classifySdkError } from "../sdk-errors.js";

/**
 * The request uses something Anthropic cannot take (audio input, files). It is not the caller's
 * mistake: another provider may serve it, so it classifies as `unsupported`, never as a 400.
 */
export class UnsupportedFeatureError extends Error {
  /** The OpenAI feature at fault, as `input_audio`. */
  readonly feature: string;

  constructor(feature: string, message = `Anthropic does not accept ${feature} content`) {
    super(message);
    this.name = "UnsupportedFeatureError";
    this.feature = feature;
  }
}

/** The upstream event stream ended before `message_stop`: what arrived is incomplete. */
export class StreamTruncatedError extends Error {
  constructor(message = "Anthropic stream ended before message_stop") {
    super(message);
    this.name = "StreamTruncatedError";
  }
}

/** Anthropic answered with an error, before or during a stream spoken natively: its status, type and message as Anthropic put them. */
export class AnthropicApiError extends Error {
  /** Undefined for an `error` event mid-stream (after the 200). */
  readonly status: number | undefined;
  readonly type: string | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(status: number | undefined, type: string | undefined, message: string, retryAfterMs?: number) {
    super(message);
    this.name = "AnthropicApiError";
    this.status = status;
    this.type = type;
    this.retryAfterMs = retryAfterMs;
  }
}

function fromApiError(err: AnthropicApiError): AttemptFailure {
  const status = err.status ?? (err.type ? STATUS_OF_ERROR_TYPE[err.type] : undefined);
  if (status === undefined) return { kind: "invalid_response", message: err.message };
  return { kind: "http", status, message: err.message, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) };
}

/** Reduces anything the Anthropic SDK (or this provider's translation) threw to an AttemptFailure. */
export function classifyError(err: unknown): AttemptFailure {
  if (err instanceof UnsupportedFeatureError) return { kind: "unsupported", message: err.message };
  if (err instanceof AnthropicApiError) return fromApiError(err);
  if (err instanceof SyntaxError) return { kind: "invalid_response", message: err.message };
  // A cut stream is a dropped connection, not a malformed answer.
  if (err instanceof StreamTruncatedError) return { kind: "connection", message: err.message };
  return classifySdkError(err, { APIError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError });
}

/**
 * Errors this provider raises itself, and the one function that reduces anything thrown while calling
 * Anthropic to what the retry decision needs.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "@anthropic-ai/sdk";
import type { AttemptFailure } from "@hearth/shared";
import { classifySdkError } from "../sdk-errors.js";

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

/** Reduces anything the Anthropic SDK (or this provider's translation) threw to an AttemptFailure. */
export function classifyError(err: unknown): AttemptFailure {
  if (err instanceof UnsupportedFeatureError) return { kind: "unsupported", message: err.message };
  // A cut stream is a dropped connection, not a malformed answer.
  if (err instanceof StreamTruncatedError) return { kind: "connection", message: err.message };
  return classifySdkError(err, { APIError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError });
}

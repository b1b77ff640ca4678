/**
 * Both official SDKs throw the same family of errors (APIError with status and headers, connection
 * and timeout errors). This reduces either to an AttemptFailure, given that SDK's classes.
 */
import { parseRetryAfter, type AttemptFailure } from "@hearth/shared";

interface SdkApiError extends Error {
  status?: number;
  headers?: Headers | Record<string, string> | undefined;
  error?: unknown;
}

export interface SdkErrorClasses {
  APIError: abstract new (...args: never[]) => SdkApiError;
  APIConnectionError: abstract new (...args: never[]) => Error;
  APIConnectionTimeoutError: abstract new (...args: never[]) => Error;
}

function headerGetter(headers: SdkApiError["headers"]) {
  return (name: string): string | null => {
    if (!headers) return null;
    if (headers instanceof Headers) return headers.get(name);
    return headers[name] ?? null;
  };
}

/** The upstream's own message, without the SDK's "429 " status prefix. */
function upstreamMessage(err: SdkApiError): string {
  const body = err.error as { message?: unknown; error?: { message?: unknown } } | undefined;
  const msg = body?.error?.message ?? body?.message;
  return typeof msg === "string" ? msg : err.message;
}

export function classifySdkError(err: unknown, sdk: SdkErrorClasses): AttemptFailure {
  if (err instanceof sdk.APIConnectionTimeoutError) return { kind: "timeout", message: "upstream timed out" };
  if (err instanceof sdk.APIConnectionError) return { kind: "connection", message: err.message };
  if (err instanceof sdk.APIError && typeof err.status === "number") {
    const failure: AttemptFailure = { kind: "http", status: err.status, message: upstreamMessage(err) };
    const retryAfterMs = parseRetryAfter(headerGetter(err.headers));
    if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs;
    return failure;
  }
  if (err instanceof sdk.APIError) return { kind: "invalid_response", message: upstreamMessage(err) };
  // Garbage from the upstream is not worth retrying; anything else the SDK did not wrap is the
  // transport failing while the body was read ("Network connection lost.", undici's "terminated").
  if (err instanceof SyntaxError || !(err instanceof Error)) return { kind: "invalid_response", message: String(err) };
  return { kind: "connection", message: err.message };
}

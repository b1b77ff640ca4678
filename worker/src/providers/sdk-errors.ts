/**
 * Both official SDKs throw the same family of errors (APIError with status and headers, connection,
 * timeout and user-abort errors). This reduces either to an AttemptFailure, given that SDK's classes.
 */
import { parseRetryAfter, type AttemptFailure } from "@hearth/shared";

interface SdkApiError extends Error {
  status?: number | undefined;
  headers?: Headers | undefined;
  error?: unknown;
  type?: string | null | undefined;
}

type ErrorClass<E extends Error = Error> = abstract new (...args: never[]) => E;

export interface SdkErrorClasses {
  APIError: ErrorClass<SdkApiError>;
  APIConnectionError: ErrorClass;
  APIConnectionTimeoutError: ErrorClass;
  APIUserAbortError: ErrorClass;
}

/**
 * An `event: error` in the middle of a stream arrives after a 200, so its APIError has no status;
 * its error type says which status the API would have answered with.
 */
export const STATUS_OF_ERROR_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  conflict_error: 409,
  request_too_large: 413,
  rate_limit_error: 429,
  rate_limit_exceeded: 429,
  api_error: 500,
  server_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** The upstream's own message, without the SDK's "429 " status prefix. */
function upstreamMessage(err: SdkApiError): string {
  const body = err.error as { message?: unknown; error?: { message?: unknown } } | undefined;
  const msg = body?.error?.message ?? body?.message;
  return typeof msg === "string" ? msg : err.message;
}

function errorType(err: SdkApiError): string | undefined {
  if (typeof err.type === "string") return err.type;
  const body = err.error as { type?: unknown; error?: { type?: unknown } } | undefined;
  const t = body?.error?.type ?? body?.type;
  return typeof t === "string" ? t : undefined;
}

function fromApiError(err: SdkApiError): AttemptFailure {
  const type = errorType(err);
  const status = err.status ?? (type ? STATUS_OF_ERROR_TYPE[type] : undefined);
  const message = upstreamMessage(err);
  if (status === undefined) return { kind: "invalid_response", message };
  const failure: AttemptFailure = { kind: "http", status, message };
  const retryAfterMs = parseRetryAfter((name) => err.headers?.get(name));
  if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs;
  return failure;
}

export function classifySdkError(err: unknown, sdk: SdkErrorClasses): AttemptFailure {
  // Subclasses before their parents: all of these are APIError too.
  if (err instanceof sdk.APIConnectionTimeoutError) return { kind: "timeout", message: "upstream timed out" };
  // Our own signal fired (client gone or deadline): not the upstream's fault.
  if (err instanceof sdk.APIUserAbortError || (err instanceof Error && err.name === "AbortError")) {
    return { kind: "connection", message: "aborted" };
  }
  if (err instanceof sdk.APIConnectionError) return { kind: "connection", message: err.message };
  if (err instanceof sdk.APIError) return fromApiError(err);
  // Garbage from the upstream is not worth retrying. Anything else the SDK did not wrap is the
  // transport failing while the body was read: workerd says "Network connection lost.", undici
  // "terminated" (a TypeError, as the Fetch standard reports every network failure).
  if (!(err instanceof Error)) return { kind: "invalid_response", message: String(err) };
  if (err instanceof SyntaxError) return { kind: "invalid_response", message: err.message };
  return { kind: "connection", message: err.message };
}

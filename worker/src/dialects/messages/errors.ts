/**
 * Errors in Anthropic's shape, for routes that speak its API: `{"type":"error","error":{"type":…,
 * "message":…}}` with the HTTP status, as Anthropic's SDK and Claude Code read them. The type follows
 * the status the way Anthropic's own errors do; Hearth's code stays in `x-hearth-error`.
 */
import { HearthError, type ErrorCode } from "@hearth/shared";

const TYPES: Readonly<Record<number, string>> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  502: "api_error",
  503: "overloaded_error",
  504: "timeout_error",
  529: "overloaded_error",
};

export function anthropicErrorType(status: number): string {
  return TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
}

export function anthropicErrorBody(status: number, message: string): { type: "error"; error: { type: string; message: string } } {
  return { type: "error", error: { type: anthropicErrorType(status), message } };
}

/** The `error` event that ends a stream which broke after it began. */
export function anthropicErrorEvent(code: ErrorCode | HearthError, message: string): string {
  const status = code instanceof HearthError ? code.status : new HearthError(code, message).status;
  return `event: error\ndata: ${JSON.stringify(anthropicErrorBody(status, message))}\n\n`;
}

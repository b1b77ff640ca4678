/**
 * Whatever the ollama client or fetch threw → a BackendError whose code tells the Worker what to do:
 * "overloaded" and "model_not_found" send the request elsewhere at once, "unsupported" and
 * "invalid_request" say the request itself cannot run here, "backend_error" says Ollama is broken.
 */
import { BackendError } from "../types.js";

export interface ErrorContext {
  /** Ollama's base URL, named in connection errors so the user knows what to start. */
  host: string;
  model?: string;
}

/** The client's ResponseError is not exported by ollama 0.6.4, so it is recognised by shape. */
function httpStatus(err: unknown): number | undefined {
  const status = (err as { status_code?: unknown } | null)?.status_code;
  return err instanceof Error && typeof status === "number" ? status : undefined;
}

/** undici puts the socket-level reason (ECONNREFUSED, "other side closed") in `cause`. */
function networkReason(err: unknown): string | undefined {
  if (!(err instanceof TypeError)) return undefined;
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return err.message;
}

const QUEUE_FULL = /maximum pending requests|server busy/i;
// Only a model 404 counts: a base URL that is not Ollama answers "404 page not found".
const NOT_FOUND = /model .*not found/i;
const UNSUPPORTED = /does not support/i;

export function toBackendError(err: unknown, ctx: ErrorContext): BackendError {
  if (err instanceof BackendError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const status = httpStatus(err);
  const model = ctx.model ? ` '${ctx.model}'` : "";
  if (status === 503 || QUEUE_FULL.test(message)) return new BackendError("overloaded", `Ollama is busy: ${message}`, { cause: err });
  if (status === 404 && NOT_FOUND.test(message)) return new BackendError("model_not_found", `Ollama has no model${model}: ${message}`, { cause: err });
  if (status === 400) {
    const code = UNSUPPORTED.test(message) ? "unsupported" : "invalid_request";
    return new BackendError(code, `Ollama refused the request: ${message}`, { cause: err });
  }
  if (status !== undefined) return new BackendError("backend_error", `Ollama answered ${status}: ${message}`, { cause: err });
  const reason = networkReason(err);
  if (reason === "ECONNREFUSED") return new BackendError("backend_error", `Ollama is not reachable at ${ctx.host} (connection refused): is it running?`, { cause: err });
  if (reason !== undefined) return new BackendError("backend_error", `connection to Ollama at ${ctx.host} failed: ${reason}`, { cause: err });
  return new BackendError("backend_error", `Ollama failed${model}: ${message}`, { cause: err });
}

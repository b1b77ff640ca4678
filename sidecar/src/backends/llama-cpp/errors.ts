/**
 * One place that decides which BackendError a failure from node-llama-cpp becomes.
 */
import { DisposedError, InsufficientMemoryError } from "node-llama-cpp";
import { BackendError } from "../types.js";

export interface FailureContext {
  /** The request's signal: a failure after it fired is a cancellation, whatever was thrown. */
  signal: AbortSignal;
  /** The backend is being disposed: native objects vanishing under a request is a shutdown. */
  disposing: boolean;
}

export function toBackendError(err: unknown, ctx: FailureContext): BackendError {
  if (err instanceof BackendError) return err;
  if (ctx.signal.aborted) return new BackendError("cancelled", "generation was cancelled", { cause: err });
  if (ctx.disposing || err instanceof DisposedError) return new BackendError("draining", "the llama.cpp backend is shutting down", { cause: err });
  if (err instanceof InsufficientMemoryError) return new BackendError("unsupported", `not enough memory: ${err.message}`, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new BackendError("backend_error", `llama.cpp: ${message}`, { cause: err });
}

/** Resolves like `promise`, or rejects with BackendError("cancelled") as soon as `signal` fires. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new BackendError("cancelled", "cancelled while waiting"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new BackendError("cancelled", "cancelled while waiting"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

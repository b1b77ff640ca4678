/**
 * ollama 0.6.4 takes no AbortSignal per request: a stream can be aborted only once its response
 * has arrived (and a model load can hold that back for minutes), and list/ps/show cannot be aborted at
 * all. Both gaps are closed at the one seam the client offers, its `fetch`: each client made here
 * adds a signal to every request it sends.
 */
import { Ollama } from "ollama";

/** A client whose every request also ends when `signal` aborts. Cheap: one per generation is fine. */
export function ollamaClient(host: string, baseFetch: typeof fetch, signal: AbortSignal): Ollama {
  const boundFetch: typeof fetch = (input, init) =>
    baseFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
  return new Ollama({ host, fetch: boundFetch });
}

/** A client for discovery: each request gets its own timeout, so a stuck Ollama cannot hang a heartbeat. */
export function discoveryClient(host: string, baseFetch: typeof fetch, timeoutMs: number): Ollama {
  const timedFetch: typeof fetch = (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    return baseFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
  return new Ollama({ host, fetch: timedFetch });
}

/**
 * ollama 0.6.4 takes no AbortSignal per request: a stream can be aborted only once its response
 * has arrived (and a model load can hold that back for minutes), and list/ps/show cannot be aborted at
 * all. Both gaps are closed at the one seam the client offers, its `fetch`: each client made here
 * adds a signal to every request it sends.
 */
import { Ollama } from "ollama";

export interface ChatClient {
  client: Ollama;
  /**
   * Reads what is left of the response bodies after the client stopped reading (normally only the
   * chunked terminator after the `done` line), so the connection goes back to fetch's pool. Resolves
   * when they end; aborting the client's signal ends it sooner.
   */
  drain(): Promise<void>;
}

/**
 * A client whose every request also ends when `signal` aborts. Cheap: one per generation is fine.
 *
 * The client stops reading a stream at its `done` line and keeps the body locked, so the end of the
 * HTTP message is never read: the connection stays busy and the next chat opens a new one (measured:
 * one TCP connection per generation). The body it sees is therefore a pass-through whose source this
 * module can finish reading.
 */
export function ollamaClient(host: string, baseFetch: typeof fetch, signal: AbortSignal): ChatClient {
  const sources: ReadableStreamDefaultReader<Uint8Array>[] = [];
  const boundFetch: typeof fetch = async (input, init) => {
    const res = await baseFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
    if (!res.body) return res;
    const reader = res.body.getReader();
    sources.push(reader);
    return new Response(passThrough(reader), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  return {
    client: new Ollama({ host, fetch: boundFetch }),
    drain: async () => {
      await Promise.all(sources.map((r) => readToEnd(r).catch(() => undefined)));
    },
  };
}

/** Reads `reader` only as fast as the consumer asks (back-pressure is kept). */
function passThrough(reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

async function readToEnd(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  for (;;) if ((await reader.read()).done) return;
}

/** A client for discovery: each request gets its own timeout, so a stuck Ollama cannot hang a heartbeat. */
export function discoveryClient(host: string, baseFetch: typeof fetch, timeoutMs: number): Ollama {
  const timedFetch: typeof fetch = (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    return baseFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
  return new Ollama({ host, fetch: timedFetch });
}

/**
 * The Ollama backend: chat requests run on a local Ollama server through the official client.
 * Ollama owns its models (loading, unloading, its own queue); this backend lists them, streams one
 * chat per generate(), embeds through /api/embed, and turns Ollama's failures into tunnel error codes.
 */
import type { ChatRequest } from "@hearth/shared";
import { createLogger, type Logger } from "../../log.js";
import { BackendError, type Backend, type EmbedBatch, type EmbedOptions, type GenerateOptions, type GenerationEvent, type ModelLoadEvent } from "../types.js";
import { discoveryClient, ollamaClient, type ChatClient } from "./client.js";
import { toBackendError } from "./errors.js";
import { createModelCatalog } from "./models.js";
import { asToolCall, forcedCall } from "../forced.js";
import { toOllamaChatBody } from "./request.js";
import { randomCallId, toGenerationEvents, type ChatChunk } from "./stream.js";

export interface OllamaBackendOptions {
  /** Ollama's base URL, e.g. "http://127.0.0.1:11434". */
  host: string;
  /** Default: a warn-level logger on stderr. */
  log?: Logger;
  /** keep_alive sent with every chat: how long Ollama keeps the model loaded afterwards. Default: Ollama's own (5m). */
  keepAlive?: string | number;
  /** models() re-reads Ollama at most this often; heartbeats in between get the cached list. Default: 5000 ms. */
  refreshMs?: number;
  /**
   * num_ctx sent with every chat and reported as each model's context length (capped at what the model
   * was trained for). Default: not sent; the Modelfile's num_ctx or the trained length is reported.
   */
  numCtx?: number;
  /** Timeout of each discovery request (/api/tags, /api/ps, /api/show). Default: 3000 ms. */
  discoveryTimeoutMs?: number;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

interface Flight {
  model: string;
  controller: AbortController;
  /** Set once the first chunk arrived: the model is loaded by then. */
  streaming: boolean;
}

const NS_PER_S = 1e9;
/**
 * Inputs per /api/embed call. Ollama embeds a batch input by input anyway; smaller calls let vectors
 * reach the Worker as they are made (proof home is working) and a cancel take effect between calls.
 */
export const EMBED_BATCH = 32;
/** After the final line, how long the rest of a response (its terminator) may take before the request is aborted. */
const DRAIN_MS = 1_000;

/**
 * The answer is complete: read the response to its end instead of aborting it, so the connection is
 * reused (aborting a response that is not fully read destroys its socket). Off the answer's path.
 */
function keepConnection(chat: ChatClient, controller: AbortController): void {
  const timer = setTimeout(() => controller.abort(), DRAIN_MS);
  timer.unref();
  void chat.drain().finally(() => clearTimeout(timer));
}

export function createOllamaBackend(options: OllamaBackendOptions): Backend {
  const { host, keepAlive, numCtx } = options;
  const log = options.log ?? createLogger();
  const baseFetch = options.fetch ?? fetch;
  const catalog = createModelCatalog({
    client: discoveryClient(host, baseFetch, options.discoveryTimeoutMs ?? 3000),
    host,
    log,
    refreshMs: options.refreshMs ?? 5000,
    numCtx,
  });
  const flights = new Set<Flight>();
  const loadListeners: ((load: ModelLoadEvent) => void)[] = [];
  let disposed = false;

  /**
   * Ollama loads models itself; a load shows as the load_duration of a response for a model the last
   * /api/ps did not list (a loaded model's responses carry a few milliseconds there too).
   */
  const sawLoad = (model: string, wasLoaded: boolean, loadNs: number | undefined) => {
    if (wasLoaded || !loadNs || loadListeners.length === 0) return;
    for (const listener of loadListeners) listener({ model, backend: "ollama", seconds: loadNs / NS_PER_S, ok: true });
  };

  const onDone = (model: string, wasLoaded: boolean) => (final: ChatChunk) => {
    const { eval_count: n, eval_duration: ns } = final;
    if (n && ns) catalog.recordSpeed(model, (n * NS_PER_S) / ns);
    sawLoad(model, wasLoaded, final.load_duration);
    catalog.invalidate();
  };

  async function* generate(model: string, req: ChatRequest, opts: GenerateOptions): AsyncGenerator<GenerationEvent> {
    if (disposed) throw new BackendError("draining", "the Ollama backend is shut down");
    if (opts.signal.aborted) throw new BackendError("cancelled", "cancelled before it started");
    const body = toOllamaChatBody(model, req, { keepAlive, numCtx, ...(opts.prefix ? { prefix: opts.prefix } : {}) });
    const flight: Flight = { model, controller: new AbortController(), streaming: false };
    const abort = () => flight.controller.abort();
    opts.signal.addEventListener("abort", abort, { once: true });
    flights.add(flight);
    const wasLoaded = catalog.isLoaded(model);
    const chat = ollamaClient(host, baseFetch, flight.controller.signal);
    let finished = false;
    try {
      const stream = await chat.client.chat({ ...body, stream: true });
      const hooks = {
        onFirstChunk: () => {
          flight.streaming = true;
          catalog.invalidate();
        },
        onDone: (final: ChatChunk) => {
          finished = true;
          onDone(model, wasLoaded)(final);
        },
      };
      const events = toGenerationEvents(stream, hooks);
      const forced = forcedCall(req);
      yield* forced ? asToolCall(events, forced, randomCallId) : events;
    } catch (err) {
      if (disposed && flight.controller.signal.aborted) throw new BackendError("draining", "the Ollama backend shut down mid-generation", { cause: err });
      if (flight.controller.signal.aborted) throw new BackendError("cancelled", "generation cancelled", { cause: err });
      const e = toBackendError(err, { host, model });
      log.debug("ollama: generation failed", { model, code: e.code, error: e.message });
      throw e;
    } finally {
      opts.signal.removeEventListener("abort", abort);
      flights.delete(flight);
      if (finished) keepConnection(chat, flight.controller);
      // Also ends the HTTP request when the consumer stopped iterating early.
      else flight.controller.abort();
    }
  }

  async function* embed(model: string, inputs: readonly string[], opts: EmbedOptions): AsyncGenerator<EmbedBatch> {
    if (disposed) throw new BackendError("draining", "the Ollama backend is shut down");
    const flight: Flight = { model, controller: new AbortController(), streaming: false };
    const abort = () => flight.controller.abort();
    if (opts.signal.aborted) throw new BackendError("cancelled", "cancelled before it started");
    opts.signal.addEventListener("abort", abort, { once: true });
    flights.add(flight);
    const { client } = ollamaClient(host, baseFetch, flight.controller.signal);
    const wasLoaded = catalog.isLoaded(model);
    try {
      for (let i = 0; i < inputs.length; i += EMBED_BATCH) {
        const input = inputs.slice(i, i + EMBED_BATCH);
        // truncate: false — an input longer than the model's context is refused, as OpenAI refuses it,
        // rather than embedded cut short without a word.
        const res = await client.embed({ model, input, truncate: false, ...(keepAlive !== undefined ? { keep_alive: keepAlive } : {}) });
        if (!flight.streaming) {
          flight.streaming = true;
          sawLoad(model, wasLoaded, res.load_duration);
          catalog.invalidate();
        }
        if (res.embeddings.length !== input.length) throw new BackendError("backend_error", `Ollama returned ${res.embeddings.length} vectors for ${input.length} inputs`);
        yield { vectors: res.embeddings, promptTokens: res.prompt_eval_count ?? 0 };
      }
    } catch (err) {
      if (disposed && flight.controller.signal.aborted) throw new BackendError("draining", "the Ollama backend shut down mid-embedding", { cause: err });
      if (flight.controller.signal.aborted) throw new BackendError("cancelled", "embedding cancelled", { cause: err });
      throw toBackendError(err, { host, model });
    } finally {
      opts.signal.removeEventListener("abort", abort);
      flights.delete(flight);
      flight.controller.abort();
    }
  }

  return {
    kind: "ollama",
    models: () => catalog.models(),
    /**
     * Best effort: models with a chat waiting for its first chunk that the last /api/ps did not list.
     * Ollama does not report loads in progress, and a chat can also wait in Ollama's queue behind
     * another model, which looks the same from here.
     */
    loading() {
      const ids = new Set<string>();
      for (const f of flights) if (!f.streaming && !catalog.isLoaded(f.model)) ids.add(f.model);
      return [...ids];
    },
    generate,
    embed,
    observeLoads: (listener) => void loadListeners.push(listener),
    /** Aborts chats and embeddings in flight. Models stay loaded: Ollama owns them, and keep_alive unloads them. */
    async dispose() {
      disposed = true;
      for (const f of flights) f.controller.abort();
    },
  };
}

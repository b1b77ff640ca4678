/**
 * The llama.cpp backend: GGUF files on disk, run in-process by node-llama-cpp.
 *
 *   catalog   which models exist (metadata only)
 *   pool      which are loaded, their context sequences, the memory budget
 *   request   what a chat request asks for, refused early if it cannot run here
 *   generate  one request on one sequence, as a stream of events
 *   embedder  a model loaded for embeddings (embed() runs inputs through it one by one)
 */
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import type { ChatRequest, LocalModel } from "@hearth/shared";
import type { Logger } from "../../log.js";
import { BackendError, type Backend, type EmbedBatch, type EmbedOptions, type GenerateOptions, type GenerationEvent, type ModelLoadEvent } from "../types.js";
import { ModelCatalog } from "./catalog.js";
import { toLocalModel } from "./discover.js";
import { toBackendError } from "./errors.js";
import { asToolCall } from "../forced.js";
import { runGeneration, toolCallId, type GenerationStats } from "./generate.js";
import { contextSizeFor, resolveOptions, type LlamaCppBackendOptions, type ResolvedOptions } from "./options.js";
import { ModelPool } from "./pool.js";
import { planGeneration } from "./request.js";

export type { LlamaCppBackendOptions } from "./options.js";

/** Weight of the newest generation in the running tokens/s figure. */
const SPEED_SMOOTHING = 0.3;

/** Starts llama.cpp (prebuilt binaries only; ~0.5 s on CPU) and returns the backend. */
export async function createLlamaCppBackend(options: LlamaCppBackendOptions): Promise<Backend> {
  const logger = options.logger;
  const llama = await getLlama({
    gpu: options.gpu ?? "auto",
    // Never compile at run time: it needs a toolchain and the network, and takes minutes.
    build: "never",
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => logLlama(logger, level, message),
    ...(options.threads === undefined ? {} : { maxThreads: options.threads }),
  });
  const resolved = resolveOptions(options, llama.cpuMathCores);
  llama.maxThreads = resolved.threads;
  resolved.logger.info("llama.cpp ready", { gpu: String(llama.gpu), threads: resolved.threads, parallel: resolved.parallel });
  return new LlamaCppBackend(llama, resolved);
}

class LlamaCppBackend implements Backend {
  readonly kind = "llama-cpp" as const;
  private readonly catalog: ModelCatalog;
  private readonly pool: ModelPool;
  private readonly speed = new Map<string, number>();
  private readonly loadListeners: ((load: ModelLoadEvent) => void)[] = [];
  private disposing: Promise<void> | undefined;

  constructor(
    private readonly llama: Llama,
    private readonly options: ResolvedOptions,
  ) {
    this.catalog = new ModelCatalog(options.paths, options.logger);
    this.pool = new ModelPool(llama, {
      ...options,
      onLoad: (model, seconds, ok) => {
        for (const listener of this.loadListeners) listener({ model, backend: "llama-cpp", seconds, ok });
      },
    });
  }

  observeLoads(listener: (load: ModelLoadEvent) => void): void {
    this.loadListeners.push(listener);
  }

  async models(): Promise<LocalModel[]> {
    const found = await this.catalog.list();
    return found.map((m) => {
      const loaded = m.kind === "embedding" ? this.pool.embedderLoaded(m.id) : this.pool.loaded(m.id);
      return toLocalModel(m, {
        loaded: loaded !== undefined,
        contextLength: loaded?.contextSize ?? contextSizeFor(m.trainContextLength, this.options.contextSize),
        tokensPerSecond: this.speed.get(m.id) ?? 0,
      });
    });
  }

  loading(): string[] {
    return this.pool.loading();
  }

  async *generate(model: string, req: ChatRequest, opts: GenerateOptions): AsyncGenerator<GenerationEvent> {
    const { signal } = opts;
    try {
      if (this.disposing) throw new BackendError("draining", "the llama.cpp backend is shutting down");
      const found = await this.catalog.find(model);
      if (!found) throw new BackendError("model_not_found", `no GGUF model '${model}' in the configured paths`);
      if (found.kind === "embedding") throw new BackendError("unsupported", `'${model}' is an embedding model: it does not chat`);
      const plan = planGeneration(req, found, opts.prefix);
      if (signal.aborted) throw new BackendError("cancelled", "cancelled before it started");
      const lease = await this.pool.acquire(found, signal);
      try {
        const events = runGeneration(lease, plan, { llama: this.llama, signal, onStats: (s) => this.record(model, s) });
        yield* plan.forced ? asToolCall(events, plan.forced, toolCallId) : events;
      } finally {
        await lease.release();
      }
    } catch (err) {
      throw toBackendError(err, { signal, disposing: this.disposing !== undefined });
    }
  }

  async *embed(model: string, inputs: readonly string[], opts: EmbedOptions): AsyncGenerator<EmbedBatch> {
    const { signal } = opts;
    try {
      if (this.disposing) throw new BackendError("draining", "the llama.cpp backend is shutting down");
      const found = await this.catalog.find(model);
      if (!found) throw new BackendError("model_not_found", `no GGUF model '${model}' in the configured paths`);
      const lease = await this.pool.acquireEmbedder(found, signal);
      try {
        const { embedder } = lease;
        for (let i = 0; i < inputs.length; i++) {
          if (signal.aborted) throw new BackendError("cancelled", "cancelled");
          const text = inputs[i] ?? "";
          const tokens = embedder.tokens(text);
          if (tokens >= embedder.contextSize) {
            throw new BackendError("invalid_request", `input[${i}] is ${tokens} tokens; '${model}' takes fewer than ${embedder.contextSize}`);
          }
          yield { vectors: [await embedder.embed(text)], promptTokens: tokens };
        }
      } finally {
        lease.release();
      }
    } catch (err) {
      throw toBackendError(err, { signal, disposing: this.disposing !== undefined });
    }
  }

  dispose(): Promise<void> {
    this.disposing ??= this.pool.dispose().finally(() => this.llama.dispose());
    return this.disposing;
  }

  private record(model: string, s: GenerationStats): void {
    if (s.firstTokenAt === undefined || s.completionTokens < 2) return;
    const seconds = (s.endedAt - s.firstTokenAt) / 1000;
    if (seconds <= 0) return;
    // The first token's time is prompt processing; speed counts the tokens after it.
    const now = (s.completionTokens - 1) / seconds;
    const before = this.speed.get(model);
    this.speed.set(model, before === undefined ? now : before + SPEED_SMOOTHING * (now - before));
  }
}

function logLlama(logger: Logger | undefined, level: LlamaLogLevel, message: string): void {
  if (!logger) return;
  const text = message.trim();
  if (level === LlamaLogLevel.fatal || level === LlamaLogLevel.error) logger.error("llama.cpp", { message: text });
  else if (level === LlamaLogLevel.warn) logger.warn("llama.cpp", { message: text });
  else logger.debug("llama.cpp", { message: text });
}

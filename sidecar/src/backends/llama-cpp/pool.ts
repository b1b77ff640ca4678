/**
 * Loaded models and their context sequences. A model loads on first use (concurrent requests share
 * the one load), gets one context with `parallel` sequences, and lends a sequence to each request.
 * Models stay loaded while they fit the memory budget; a load that would exceed it first unloads
 * the least recently used idle models.
 *
 * A model used for embeddings is loaded as an embedder: its weights and one embedding context
 * (embedder.ts), under the same budget and eviction. A model used both to chat and to embed (a chat
 * model tagged `embeddings`) is loaded once for each: llama.cpp's chat and embedding contexts differ.
 */
import {
  GgufInsights,
  readGgufFileInfo,
  resolveChatWrapper,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
} from "node-llama-cpp";
import type { Logger } from "../../log.js";
import { BackendError } from "../types.js";
import type { DiscoveredModel } from "./discover.js";
import { abortable } from "./errors.js";
import { EMBED_SUFFIX, estimateEmbedder, loadEmbedder, type Embedder } from "./embedder.js";
import { contextSizeFor } from "./options.js";

export interface PoolOptions {
  threads: number;
  parallel: number;
  contextSize: number | undefined;
  memoryBudgetBytes: number;
  onProgress: (modelId: string, fraction: number) => void;
  logger: Logger;
  /** Told when each load settles: seconds from its start (estimate and eviction included) and whether it worked. Default: none. */
  onLoad?: (modelId: string, seconds: number, ok: boolean) => void;
}

export interface LoadedModel {
  readonly id: string;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly chatWrapper: ChatWrapper;
  /** Tokens each sequence holds (llama.cpp may round the requested size up). */
  readonly contextSize: number;
}

/** A sequence lent to one request. `release()` clears it and hands it to the next request. */
export interface Lease {
  readonly loaded: LoadedModel;
  readonly sequence: LlamaContextSequence;
  release(): Promise<void>;
}

interface Waiter {
  resolve(sequence: LlamaContextSequence): void;
  reject(err: Error): void;
}

interface Ready extends LoadedModel {
  readonly free: LlamaContextSequence[];
  readonly waiters: Waiter[];
}

interface Entry {
  /** The model's id; the map key adds EMBED_SUFFIX for an embedder. */
  readonly id: string;
  readonly kind: "chat" | "embed";
  /** Estimated bytes (weights + context); 0 until estimated. */
  bytes: number;
  /** Leases out plus requests waiting for the load or a sequence: such a model is never evicted. */
  users: number;
  lastUsed: number;
  ready: Ready | Embedder | undefined;
  load: Promise<Ready | Embedder>;
}

/** An embedder lent to one request. Inputs are embedded one at a time on its one sequence. */
export interface EmbedLease {
  readonly embedder: Embedder;
  release(): void;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => `${Math.ceil(bytes / MB)} MB`;

export class ModelPool {
  private readonly entries = new Map<string, Entry>();
  private disposed = false;

  constructor(
    private readonly llama: Llama,
    private readonly options: PoolOptions,
  ) {}

  /** Ids of models being loaded right now. */
  loading(): string[] {
    return [...new Set([...this.entries.values()].filter((e) => e.ready === undefined).map((e) => e.id))];
  }

  loaded(id: string): LoadedModel | undefined {
    return this.entries.get(id)?.ready as Ready | undefined;
  }

  embedderLoaded(id: string): Embedder | undefined {
    return this.entries.get(id + EMBED_SUFFIX)?.ready as Embedder | undefined;
  }

  /** Lends `found`'s embedder, loading it first if needed. */
  async acquireEmbedder(found: DiscoveredModel, signal: AbortSignal): Promise<EmbedLease> {
    if (this.disposed) throw new BackendError("draining", "the llama.cpp backend is shutting down");
    const entry = this.entries.get(found.id + EMBED_SUFFIX) ?? this.start(found, "embed");
    entry.users++;
    try {
      const embedder = (entry.ready ?? (await abortable(entry.load, signal))) as Embedder;
      entry.lastUsed = performance.now();
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        entry.users--;
        entry.lastUsed = performance.now();
      };
      return { embedder, release };
    } catch (err) {
      entry.users--;
      throw err;
    }
  }

  /** Lends a sequence of `found`'s model, loading it first if needed. Waits (abortably) when all are busy. */
  async acquire(found: DiscoveredModel, signal: AbortSignal): Promise<Lease> {
    if (this.disposed) throw new BackendError("draining", "the llama.cpp backend is shutting down");
    const entry = this.entries.get(found.id) ?? this.start(found, "chat");
    entry.users++;
    try {
      const ready = (entry.ready ?? (await abortable(entry.load, signal))) as Ready;
      const sequence = ready.free.pop() ?? (await this.waitForSequence(ready, signal));
      entry.lastUsed = performance.now();
      let released = false;
      const release = async () => {
        if (released) return;
        released = true;
        await this.release(entry, ready, sequence);
      };
      return { loaded: ready, sequence, release };
    } catch (err) {
      entry.users--;
      throw err;
    }
  }

  /** Unloads everything. Requests still running fail; the caller drains them first. Idempotent. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map((e) => e.load.then((ready) => this.unload(e, ready), () => {})));
  }

  private static key(e: Pick<Entry, "id" | "kind">): string {
    return e.kind === "embed" ? e.id + EMBED_SUFFIX : e.id;
  }

  private start(found: DiscoveredModel, kind: Entry["kind"]): Entry {
    const state = { id: found.id, kind, bytes: 0, users: 0, lastUsed: performance.now(), ready: undefined };
    const entry: Entry = Object.assign(state, { load: kind === "chat" ? this.load(state, found) : this.loadEmbedder(state, found) });
    const key = ModelPool.key(entry);
    const t0 = performance.now();
    const settled = (ok: boolean) => this.options.onLoad?.(found.id, (performance.now() - t0) / 1000, ok);
    entry.load.then(
      (ready) => {
        entry.ready = ready;
        settled(true);
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
        settled(false);
      },
    );
    this.entries.set(key, entry);
    return entry;
  }

  /** Runs with `entry` not yet in the map; it is there by the first await. */
  private async loadEmbedder(entry: Omit<Entry, "load">, found: DiscoveredModel): Promise<Embedder> {
    const contextSize = contextSizeFor(found.trainContextLength, this.options.contextSize);
    entry.bytes = await estimateEmbedder(this.llama, found.path, contextSize);
    await this.makeRoom(entry);
    return loadEmbedder(this.llama, found, { contextSize, threads: this.options.threads, onProgress: this.options.onProgress, logger: this.options.logger, isDisposed: () => this.disposed });
  }

  /** Runs with `entry` not yet in the map; it is there by the first await. */
  private async load(entry: Omit<Entry, "load">, found: DiscoveredModel): Promise<Ready> {
    const { parallel, threads, logger } = this.options;
    const wanted = contextSizeFor(found.trainContextLength, this.options.contextSize);
    entry.bytes = await this.estimate(found.path, wanted);
    await this.makeRoom(entry);
    const t0 = performance.now();
    const model = await this.llama.loadModel({
      modelPath: found.path,
      onLoadProgress: (fraction) => this.options.onProgress(found.id, fraction),
    });
    try {
      if (this.disposed) throw new BackendError("draining", "the llama.cpp backend is shutting down");
      const context = await model.createContext({ contextSize: wanted, sequences: parallel, threads });
      const free = Array.from({ length: parallel }, () => context.getSequence());
      const chatWrapper = resolveChatWrapper(model, { warningLogs: false });
      const contextSize = free[0]?.contextSize ?? wanted;
      logger.info("model loaded", { model: found.id, ms: Math.round(performance.now() - t0), contextSize, sequences: parallel, chatWrapper: chatWrapper.wrapperName, estimate: mb(entry.bytes) });
      return { id: found.id, model, context, chatWrapper, contextSize, free: free.reverse(), waiters: [] };
    } catch (err) {
      await model.dispose();
      throw err;
    }
  }

  /** Weights plus context, as node-llama-cpp estimates them for CPU memory (the sum is the same with a GPU). */
  private async estimate(path: string, contextSize: number): Promise<number> {
    const insights = await GgufInsights.from(await readGgufFileInfo(path, { logWarnings: false }), this.llama);
    const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 });
    const context = await insights.estimateContextResourceRequirementsV2({ contextSize, modelGpuLayers: 0, sequences: this.options.parallel });
    return model.cpuRam + model.gpuVram + context.cpuRam + context.gpuVram;
  }

  /** Unloads least recently used idle models until `entry` fits the budget. */
  private async makeRoom(entry: Omit<Entry, "load">): Promise<void> {
    const budget = this.options.memoryBudgetBytes;
    if (entry.bytes > budget) throw new BackendError("unsupported", `model '${entry.id}' needs about ${mb(entry.bytes)}; the memory budget is ${mb(budget)}`);
    const others = [...this.entries.values()].filter((e) => e !== entry);
    const victims: Entry[] = [];
    let used = others.reduce((sum, e) => sum + e.bytes, 0);
    const idle = others.filter((e) => e.ready !== undefined && e.users === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    while (used + entry.bytes > budget) {
      const victim = idle.shift();
      if (victim === undefined) throw new BackendError("overloaded", `model '${entry.id}' does not fit the memory budget (${mb(budget)}) next to the models in use`);
      victims.push(victim);
      used -= victim.bytes;
    }
    for (const v of victims) this.entries.delete(ModelPool.key(v));
    await Promise.all(victims.map((v) => (v.ready ? this.unload(v, v.ready) : undefined)));
  }

  private async unload(entry: Pick<Entry, "id" | "kind">, ready: Ready | Embedder): Promise<void> {
    if (entry.kind === "embed") await (ready as Embedder).dispose();
    else {
      const chat = ready as Ready;
      for (const w of chat.waiters.splice(0)) w.reject(new BackendError("draining", `model '${entry.id}' was unloaded`));
      await chat.context.dispose();
      await chat.model.dispose();
    }
    this.options.logger.info("model unloaded", { model: entry.id, kind: entry.kind });
  }

  private waitForSequence(ready: Ready, signal: AbortSignal): Promise<LlamaContextSequence> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = ready.waiters.indexOf(waiter);
        if (i >= 0) ready.waiters.splice(i, 1);
        reject(new BackendError("cancelled", "cancelled while waiting for a free sequence"));
      };
      const waiter: Waiter = {
        resolve: (sequence) => {
          signal.removeEventListener("abort", onAbort);
          resolve(sequence);
        },
        reject: (err) => {
          signal.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      ready.waiters.push(waiter);
    });
  }

  private async release(entry: Entry, ready: Ready, sequence: LlamaContextSequence): Promise<void> {
    try {
      // A request starts from an empty sequence: no state of another request can leak into it.
      await sequence.clearHistory();
    } catch {
      // The context was disposed (unload or shutdown); the sequence dies with it.
    }
    entry.users--;
    entry.lastUsed = performance.now();
    const next = ready.waiters.shift();
    if (next) next.resolve(sequence);
    else ready.free.push(sequence);
  }
}

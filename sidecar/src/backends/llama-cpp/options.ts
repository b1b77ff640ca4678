/**
 * The llama.cpp backend's options and the rules that fill in their defaults. The rules are pure
 * functions so they can be tested without a machine of the right shape.
 */
import { totalmem, availableParallelism } from "node:os";
import type { Logger } from "../../log.js";
import { silentLogger } from "../../log.js";

export interface LlamaCppBackendOptions {
  /**
   * Where the models are: directories (their `.gguf` files and those one directory below) or single
   * `.gguf` files. Rescanned on every `models()` call; metadata is read once per file version.
   */
  paths: string[];
  /**
   * Threads llama.cpp evaluates with, shared by all loaded models (it is also the Llama instance's
   * `maxThreads`, so parallel requests do not multiply it).
   * Default: {@link defaultThreads} — one core left to Node's event loop and the OS, never more than
   * llama.cpp's count of math cores. On a 2-core machine that is 1 thread: measured there, 1 thread
   * ran the tiny model at ~1,500–2,300 tokens/s and 2 threads at ~60; a 100 MB F32 model ran at ~107
   * vs ~11–17 tokens/s; a 400 MB one at ~31 vs 22–37. llama.cpp's workers spin at a barrier each
   * layer, so one preempted thread stalls all of them.
   */
  threads?: number;
  /**
   * Bytes the loaded models may take together: weights plus KV cache and compute buffers, as
   * node-llama-cpp estimates them before loading. Loading past it first unloads the least recently
   * used idle model. Default: 75% of `os.totalmem()`.
   */
  memoryBudgetBytes?: number;
  /**
   * Tokens of context each request gets. Capped at the model's training context.
   * Default: min(the model's training context, 4096).
   */
  contextSize?: number;
  /**
   * Requests one loaded model runs at once, each on its own context sequence (so each costs a
   * `contextSize` worth of KV cache). A request beyond that waits for a sequence. Default: 2.
   */
  parallel?: number;
  /**
   * `"auto"`: use a prebuilt CUDA/Vulkan/Metal binary when one works on this machine, else the CPU.
   * `false`: CPU only. Binaries are never built from source at run time. Default: `"auto"`.
   */
  gpu?: "auto" | false;
  /** Called while a model loads with a fraction in [0, 1], for a progress bar. Default: none. */
  onProgress?: (modelId: string, fraction: number) => void;
  /** Default: a logger that drops everything. */
  logger?: Logger;
}

export interface ResolvedOptions {
  paths: string[];
  threads: number;
  memoryBudgetBytes: number;
  contextSize: number | undefined;
  parallel: number;
  gpu: "auto" | false;
  onProgress: (modelId: string, fraction: number) => void;
  logger: Logger;
}

export const DEFAULT_CONTEXT_CAP = 4096;
export const DEFAULT_PARALLEL = 2;
export const DEFAULT_MEMORY_FRACTION = 0.75;

/** The default thread count: cores minus one for the event loop, at most the math cores, at least 1. */
export function defaultThreads(cores: { logical: number; math: number }): number {
  return Math.max(1, Math.min(cores.math, cores.logical - 1));
}

/** The context a model runs with: the option (or 4096), never more than the model was trained on. */
export function contextSizeFor(trainContext: number | undefined, option: number | undefined): number {
  const wanted = option ?? DEFAULT_CONTEXT_CAP;
  return trainContext === undefined || trainContext <= 0 ? wanted : Math.min(wanted, trainContext);
}

function positiveInt(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new RangeError(`llama-cpp option '${name}' must be a positive integer, got ${value}`);
  }
}

/** Fills in defaults. `mathCores` comes from the Llama instance (llama.cpp's own count). */
export function resolveOptions(options: LlamaCppBackendOptions, mathCores: number): ResolvedOptions {
  positiveInt("threads", options.threads);
  positiveInt("contextSize", options.contextSize);
  positiveInt("parallel", options.parallel);
  positiveInt("memoryBudgetBytes", options.memoryBudgetBytes);
  return {
    paths: options.paths,
    threads: options.threads ?? defaultThreads({ logical: availableParallelism(), math: mathCores }),
    memoryBudgetBytes: options.memoryBudgetBytes ?? Math.floor(totalmem() * DEFAULT_MEMORY_FRACTION),
    contextSize: options.contextSize,
    parallel: options.parallel ?? DEFAULT_PARALLEL,
    gpu: options.gpu ?? "auto",
    onProgress: options.onProgress ?? (() => {}),
    logger: options.logger ?? silentLogger,
  };
}

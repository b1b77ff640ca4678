/**
 * A GGUF model loaded for embeddings: its weights and one node-llama-cpp embedding context. The
 * context has one sequence and embeds one input at a time (node-llama-cpp serialises calls); its
 * batch is the whole context, because an encoder (BERT-style) model must see an input in one batch.
 * Vectors come out as the model makes them — pooled as its metadata says (mean, cls, last), or the
 * last token's for a chat model — and are normalized by the caller.
 */
import { GgufInsights, readGgufFileInfo, type Llama, type LlamaEmbeddingContext, type LlamaModel } from "node-llama-cpp";
import type { Logger } from "../../log.js";
import { BackendError } from "../types.js";
import type { DiscoveredModel } from "./discover.js";

/** Appended to a model id to key its embedder in the pool, beside the same model loaded for chat. */
export const EMBED_SUFFIX = "\u0000embed";

export interface Embedder {
  readonly id: string;
  /** Tokens one input may take. */
  readonly contextSize: number;
  /** Tokens `text` takes (with the model's begin/end tokens), to check it fits and to count usage. */
  tokens(text: string): number;
  /** The vector of `text`, unnormalized. */
  embed(text: string): Promise<readonly number[]>;
  dispose(): Promise<void>;
}

export interface EmbedderOptions {
  contextSize: number;
  threads: number;
  onProgress: (modelId: string, fraction: number) => void;
  logger: Logger;
  /** The pool was disposed while the weights loaded: give them back instead of keeping them. */
  isDisposed(): boolean;
}

/** Weights plus one embedding context, as node-llama-cpp estimates them for CPU memory. */
export async function estimateEmbedder(llama: Llama, path: string, contextSize: number): Promise<number> {
  const insights = await GgufInsights.from(await readGgufFileInfo(path, { logWarnings: false }), llama);
  const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 });
  const context = await insights.estimateContextResourceRequirementsV2({ contextSize, modelGpuLayers: 0, sequences: 1, batchSize: contextSize, isEmbeddingContext: true });
  return model.cpuRam + model.gpuVram + context.cpuRam + context.gpuVram;
}

export async function loadEmbedder(llama: Llama, found: DiscoveredModel, opts: EmbedderOptions): Promise<Embedder> {
  const t0 = performance.now();
  const model: LlamaModel = await llama.loadModel({ modelPath: found.path, onLoadProgress: (fraction) => opts.onProgress(found.id, fraction) });
  let context: LlamaEmbeddingContext;
  try {
    if (opts.isDisposed()) throw new BackendError("draining", "the llama.cpp backend is shutting down");
    context = await model.createEmbeddingContext({ contextSize: opts.contextSize, batchSize: opts.contextSize, threads: opts.threads });
  } catch (err) {
    await model.dispose();
    throw err;
  }
  opts.logger.info("model loaded for embeddings", { model: found.id, ms: Math.round(performance.now() - t0), contextSize: opts.contextSize });
  return {
    id: found.id,
    contextSize: opts.contextSize,
    tokens: (text) => context.calculateInputLength(text),
    embed: async (text) => (await context.getEmbeddingFor(text)).vector,
    async dispose() {
      await context.dispose();
      await model.dispose();
    },
  };
}

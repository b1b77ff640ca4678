/**
 * Reads what the router needs to know about GGUF models (context length, size, tool support, whether
 * it is an embedding model) from their metadata, without loading weights. Finding the files is files.ts.
 */
import { basename } from "node:path";
import { readGgufFileInfo, type GgufFileInfo } from "node-llama-cpp";
import type { LocalModel } from "@hearth/shared";
import { wrapperForFile, wrapperSupportsTools } from "./chat-wrapper.js";
import { modelIdFromPath } from "./files.js";

export interface DiscoveredModel {
  /** File name without `.gguf` (and without the `-00001-of-0000N` of a split model). */
  id: string;
  path: string;
  sizeBytes: number;
  architecture: string | undefined;
  /** `<architecture>.context_length`: what the model was trained with. */
  trainContextLength: number | undefined;
  tools: boolean;
  /** `embedding`: made for embeddings, not chat (see isEmbeddingMetadata). Default: chat. */
  kind?: "chat" | "embedding";
  /** `<architecture>.embedding_length`: the length of its vectors. */
  embeddingLength?: number;
}

/** The training context from metadata (`<arch>.context_length`), if present and sane. */
export function trainContextFromMetadata(fileInfo: Pick<GgufFileInfo, "architectureMetadata">): number | undefined {
  const n = fileInfo.architectureMetadata.context_length;
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Files that are not chat models: LoRA adapters and vision encoders share the extension. */
export function isChatModelMetadata(fileInfo: Pick<GgufFileInfo, "metadata">): boolean {
  const general: { architecture?: string; type?: unknown } = fileInfo.metadata.general;
  return general.architecture !== "clip" && general.type !== "adapter";
}

/** Encoder-only architectures: they embed, and cannot generate. */
const ENCODER_ARCHITECTURES: ReadonlySet<string> = new Set(["bert", "modern-bert", "nomic-bert", "nomic-bert-moe", "neo-bert", "jina-bert-v2", "jina-bert-v3", "eurobert", "t5encoder"]);

/** Pooling types that make one vector of a sequence: mean (1), cls (2), last (3); not none (0) or rank (4, a reranker). */
const SEQUENCE_POOLING: ReadonlySet<number> = new Set([1, 2, 3]);

/**
 * Whether a GGUF is an embedding model: its `<arch>.pooling_type` says how to pool a sequence into one
 * vector — llama.cpp's converter writes it for sentence-embedding models (BERT family, nomic-embed,
 * bge, Qwen3-Embedding…), not for chat models — or its architecture is encoder-only. A chat model can
 * be offered for embeddings too with the sidecar's `embeddings` tag: its metadata cannot say whether
 * its vectors are any good for retrieval, so that is the operator's call.
 */
export function isEmbeddingMetadata(fileInfo: Pick<GgufFileInfo, "metadata" | "architectureMetadata">): boolean {
  const pooling: unknown = fileInfo.architectureMetadata.pooling_type;
  const arch: string | undefined = fileInfo.metadata.general.architecture;
  return (typeof pooling === "number" && SEQUENCE_POOLING.has(pooling)) || (arch !== undefined && ENCODER_ARCHITECTURES.has(arch));
}

/** The LocalModel the sidecar reports, from what discovery found and what the pool knows now. */
export function toLocalModel(
  found: DiscoveredModel,
  now: { loaded: boolean; contextLength: number; tokensPerSecond: number },
): LocalModel {
  return {
    id: found.id,
    backend: "llama-cpp",
    contextLength: now.contextLength,
    sizeBytes: found.sizeBytes,
    loaded: now.loaded,
    tools: found.tools,
    tokensPerSecond: Math.round(now.tokensPerSecond * 10) / 10,
    ...(found.kind === "embedding" ? { embeddings: true, chat: false, ...(found.embeddingLength ? { embeddingLength: found.embeddingLength } : {}) } : {}),
  };
}

/** Reads one file's metadata and decides its tools flag. Null when it is not a chat model. */
export async function describeModelFile(path: string, sizeBytes: number): Promise<DiscoveredModel | null> {
  const fileInfo = await readGgufFileInfo(path, { logWarnings: false });
  if (!isChatModelMetadata(fileInfo)) return null;
  const wrapper = wrapperForFile(fileInfo, basename(path));
  const embeddingLength = fileInfo.architectureMetadata.embedding_length;
  return {
    id: modelIdFromPath(path),
    path,
    sizeBytes,
    architecture: fileInfo.metadata.general.architecture,
    trainContextLength: trainContextFromMetadata(fileInfo),
    tools: wrapper !== null && wrapperSupportsTools(wrapper),
    ...(isEmbeddingMetadata(fileInfo) ? { kind: "embedding" as const } : {}),
    ...(typeof embeddingLength === "number" && embeddingLength > 0 ? { embeddingLength } : {}),
  };
}

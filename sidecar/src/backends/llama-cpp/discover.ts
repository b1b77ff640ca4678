/**
 * Finds GGUF models on disk and reads what the router needs to know about them (context length,
 * size, tool support, whether it is an embedding model) from their metadata, without loading weights.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { readGgufFileInfo, type GgufFileInfo } from "node-llama-cpp";
import type { LocalModel } from "@hearth/shared";
import type { Logger } from "../../log.js";
import { wrapperForFile, wrapperSupportsTools } from "./chat-wrapper.js";

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

const SPLIT_PART = /-(\d{5})-of-(\d{5})\.gguf$/i;

/** Model id for a path: the file name without `.gguf` and without a split model's part suffix. */
export function modelIdFromPath(path: string): string {
  return basename(path)
    .replace(SPLIT_PART, "")
    .replace(/\.gguf$/i, "");
}

/** All part paths of a split model given part 1 (`x-00001-of-00003.gguf`); just `[path]` otherwise. */
export function splitPartPaths(path: string): string[] {
  const m = SPLIT_PART.exec(path);
  if (m === null) return [path];
  const total = Number(m[2]);
  const stem = path.slice(0, m.index);
  const ext = path.slice(-".gguf".length);
  return Array.from({ length: total }, (_, i) => `${stem}-${String(i + 1).padStart(5, "0")}-of-${m[2]}${ext}`);
}

/**
 * Whether a file name is a model this backend should list: a `.gguf` that is not a later part of a
 * split model (node-llama-cpp opens those through part 1) and not a vision projector (`mmproj`).
 */
export function isModelFileName(name: string): boolean {
  if (!/\.gguf$/i.test(name) || /^mmproj/i.test(name)) return false;
  const part = SPLIT_PART.exec(name);
  return part === null || Number(part[1]) === 1;
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

/** `.gguf` paths under the configured paths: files as given, directories and their subdirectories one level deep. */
export async function findModelFiles(paths: readonly string[], logger: Logger): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    const s = await stat(path).catch(() => undefined);
    if (s === undefined) logger.warn("model path not found", { path });
    else if (s.isFile()) out.push(path);
    else if (s.isDirectory()) out.push(...(await scanDirectory(path, 1)));
  }
  return out;
}

async function scanDirectory(dir: string, depth: number): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, e.name);
    if (e.isFile() && isModelFileName(e.name)) out.push(full);
    else if (e.isDirectory() && depth > 0 && !e.name.startsWith(".")) out.push(...(await scanDirectory(full, depth - 1)));
  }
  return out;
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

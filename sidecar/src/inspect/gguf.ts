/**
 * What the GGUF files under the configured paths are, read from their metadata without loading a
 * weight: id, size, context, architecture, tools. For `init` and `doctor`; the backend reads the same
 * metadata through the same functions (backends/llama-cpp/discover.ts). Reading metadata takes
 * node-llama-cpp (the llama.cpp add-on); without it the files are listed with their sizes only.
 */
import { stat } from "node:fs/promises";
import { silentLogger } from "../log.js";
import { findModelFiles, modelIdFromPath, splitPartPaths } from "../backends/llama-cpp/files.js";

export type GgufReport =
  | { path: string; id: string; ok: true; sizeBytes: number; architecture: string | undefined; trainContext: number | undefined; tools: boolean; embedding: boolean; read: true }
  /** Listed without node-llama-cpp: only the file is known. */
  | { path: string; id: string; ok: true; sizeBytes: number; read: false }
  | { path: string; id: string; ok: false; error: string };

/** Size on disk of a model, all parts of a split one included. */
async function modelBytes(path: string): Promise<number> {
  const sizes = await Promise.all(splitPartPaths(path).map((p) => stat(p).then((s) => s.size)));
  return sizes.reduce((a, b) => a + b, 0);
}

/**
 * One report per model file under `paths` (missing paths give none: see missingPaths).
 * @param readMetadata read each file's metadata (imports node-llama-cpp); else list files and sizes
 */
export async function inspectGgufs(paths: readonly string[], readMetadata = true): Promise<GgufReport[]> {
  const files = await findModelFiles(paths, silentLogger);
  const describe = readMetadata ? (await import("../backends/llama-cpp/discover.js")).describeModelFile : undefined;
  return Promise.all(
    files.map(async (path): Promise<GgufReport> => {
      const id = modelIdFromPath(path);
      try {
        const sizeBytes = await modelBytes(path);
        if (!describe) return { path, id, ok: true, sizeBytes, read: false };
        const found = await describe(path, sizeBytes);
        if (!found) return { path, id, ok: false, error: "not a chat or embedding model (a LoRA adapter or a vision projector)" };
        return { path, id, ok: true, sizeBytes, architecture: found.architecture, trainContext: found.trainContextLength, tools: found.tools, embedding: found.kind === "embedding", read: true };
      } catch (err) {
        return { path, id, ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

/** Configured paths that do not exist. */
export async function missingPaths(paths: readonly string[]): Promise<string[]> {
  const exists = await Promise.all(paths.map((p) => stat(p).then(() => true, () => false)));
  return paths.filter((_, i) => !exists[i]);
}

/** 1536 → "1.5 KB", in powers of 1000 as disks and Ollama count. */
export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/**
 * Which files under the configured paths are GGUF models, and their ids: plain file-system work,
 * without node-llama-cpp, so the light sidecar (no llama.cpp add-on) can still list them for `init`
 * and `doctor`.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Logger } from "../../log.js";

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

/**
 * The list of models on disk, kept fresh cheaply: every listing rescans the directories (a readdir
 * and a stat per file), but a file's metadata is read only when its size or mtime changes.
 */
import { stat } from "node:fs/promises";
import type { Logger } from "../../log.js";
import { describeModelFile, type DiscoveredModel } from "./discover.js";
import { findModelFiles, splitPartPaths } from "./files.js";

interface Cached {
  version: string;
  model: DiscoveredModel | null;
}

export class ModelCatalog {
  private readonly cache = new Map<string, Cached>();
  private last: DiscoveredModel[] = [];
  private scanning: Promise<DiscoveredModel[]> | undefined;

  constructor(
    private readonly paths: readonly string[],
    private readonly logger: Logger,
  ) {}

  /** Rescans. Concurrent callers share one scan. */
  list(): Promise<DiscoveredModel[]> {
    this.scanning ??= this.scan().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  /** A model by id: from the last scan when it is there, else after a fresh one. */
  async find(id: string): Promise<DiscoveredModel | undefined> {
    return this.last.find((m) => m.id === id) ?? (await this.list()).find((m) => m.id === id);
  }

  private async scan(): Promise<DiscoveredModel[]> {
    const files = await findModelFiles(this.paths, this.logger);
    const byId = new Map<string, DiscoveredModel>();
    for (const path of files) {
      const model = await this.describe(path);
      if (model === null) continue;
      const existing = byId.get(model.id);
      if (existing) this.logger.warn("two model files share an id; keeping the first", { id: model.id, kept: existing.path, skipped: path });
      else byId.set(model.id, model);
    }
    for (const path of this.cache.keys()) if (!files.includes(path)) this.cache.delete(path);
    this.last = [...byId.values()];
    return this.last;
  }

  private async describe(path: string): Promise<DiscoveredModel | null> {
    const sizes = await Promise.all(splitPartPaths(path).map((p) => stat(p).catch(() => undefined)));
    const first = sizes[0];
    if (first === undefined) return null;
    const sizeBytes = sizes.reduce((sum, s) => sum + (s?.size ?? 0), 0);
    const version = `${sizeBytes}:${first.mtimeMs}`;
    const cached = this.cache.get(path);
    if (cached?.version === version) return cached.model;
    let model: DiscoveredModel | null = null;
    try {
      model = await describeModelFile(path, sizeBytes);
    } catch (err) {
      // A half-copied or foreign file must not hide the others; it is retried when it changes.
      this.logger.warn("cannot read GGUF metadata", { path, error: err instanceof Error ? err.message : String(err) });
    }
    this.cache.set(path, { version, model });
    return model;
  }
}

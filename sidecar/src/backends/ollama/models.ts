/**
 * Model discovery: /api/tags (what is installed) + /api/ps (what is loaded) + /api/show per model
 * (context length, capabilities) → LocalModel[]: chat models, and embedding models (capability
 * `embedding`), the embedding-only ones marked `chat: false`.
 *
 * models() runs on every heartbeat, so the list is re-read at most every `refreshMs`, concurrent
 * callers share one refresh, and /api/show answers are cached per digest (a digest names one exact
 * model file, so its facts never change). An unreachable Ollama yields [] and one warning, not one per
 * heartbeat.
 */
import type { LocalModel } from "@hearth/shared";
import type { ModelResponse, Ollama, ShowResponse } from "ollama";
import type { Logger } from "../../log.js";
import { toBackendError } from "./errors.js";

/** What /api/show tells about a model, reduced to what routing needs. */
export interface ShowFacts {
  /** `<arch>.context_length` from model_info: what the model was trained for. */
  trainedContext?: number;
  /** `num_ctx` from the Modelfile's parameters, if it sets one. */
  modelfileNumCtx?: number;
  tools: boolean;
  /** False for embedding-only models, which cannot chat. */
  chat: boolean;
  /** Capability `embedding`: /api/embed works with it. */
  embeddings: boolean;
  /** `<arch>.embedding_length` from model_info: the length of its vectors. */
  embeddingLength?: number;
}

/** Used when neither /api/show nor the options say anything: Ollama's smallest default num_ctx. */
const FALLBACK_CONTEXT = 2048;

export function readShow(show: Pick<ShowResponse, "model_info" | "capabilities" | "parameters" | "template">): ShowFacts {
  // Typed as a Map by the client, but it is JSON.parse'd: a plain object.
  const info = (show.model_info ?? {}) as unknown as Record<string, unknown>;
  const arch = info["general.architecture"];
  const key = typeof arch === "string" ? `${arch}.context_length` : Object.keys(info).find((k) => k.endsWith(".context_length"));
  const trained = key !== undefined ? info[key] : undefined;
  const embeddingLength = typeof arch === "string" ? info[`${arch}.embedding_length`] : undefined;
  const numCtx = /^num_ctx\s+(\d+)/m.exec(show.parameters ?? "")?.[1];
  const caps = show.capabilities;
  return {
    ...(typeof trained === "number" && trained > 0 ? { trainedContext: trained } : {}),
    ...(numCtx ? { modelfileNumCtx: Number(numCtx) } : {}),
    // Ollama before capabilities existed: a template that renders .Tools is a tools template.
    tools: caps ? caps.includes("tools") : (show.template ?? "").includes(".Tools"),
    chat: caps ? caps.includes("completion") : true,
    // Ollama before capabilities existed cannot say; its chat models are not offered for embeddings.
    embeddings: caps ? caps.includes("embedding") : false,
    ...(typeof embeddingLength === "number" && embeddingLength > 0 ? { embeddingLength } : {}),
  };
}

/**
 * The context the model runs with, not merely what it was trained for: the num_ctx Hearth asks for,
 * else the Modelfile's, capped at the trained length. Ollama may still run with less when neither is
 * set (OLLAMA_CONTEXT_LENGTH); set `numCtx` to make this exact.
 */
export function contextLength(facts: ShowFacts, numCtx?: number): number {
  const asked = numCtx ?? facts.modelfileNumCtx;
  const trained = facts.trainedContext;
  if (asked !== undefined && trained !== undefined) return Math.min(asked, trained);
  return asked ?? trained ?? FALLBACK_CONTEXT;
}

export function toLocalModel(tag: Pick<ModelResponse, "name" | "size">, facts: ShowFacts, loaded: boolean, numCtx?: number, tokensPerSecond = 0): LocalModel {
  return {
    id: tag.name,
    backend: "ollama",
    contextLength: contextLength(facts, numCtx),
    sizeBytes: tag.size,
    loaded,
    tools: facts.tools,
    tokensPerSecond,
    ...(facts.embeddings ? { embeddings: true, ...(facts.embeddingLength ? { embeddingLength: facts.embeddingLength } : {}) } : {}),
    ...(facts.chat ? {} : { chat: false }),
  };
}

export interface ModelCatalogOptions {
  /** A client whose requests time out; discovery must never hang a heartbeat. */
  client: Pick<Ollama, "list" | "ps" | "show">;
  host: string;
  log: Logger;
  /** Minimum time between two reads of Ollama. */
  refreshMs: number;
  numCtx?: number;
  /** Default: Date.now. */
  now?: () => number;
}

export interface ModelCatalog {
  models(): Promise<LocalModel[]>;
  /** Whether the last /api/ps listed this model. */
  isLoaded(name: string): boolean;
  /** A chat finished or started streaming: re-read Ollama on the next models() call. */
  invalidate(): void;
  /** Measured generation speed from a finished chat, reported as tokensPerSecond. */
  recordSpeed(name: string, tokensPerSecond: number): void;
}

export function createModelCatalog(opts: ModelCatalogOptions): ModelCatalog {
  const now = opts.now ?? Date.now;
  const shows = new Map<string, ShowFacts>();
  const speeds = new Map<string, number>();
  let loaded = new Set<string>();
  let cached: LocalModel[] = [];
  let readAt = -Infinity;
  let pending: Promise<LocalModel[]> | undefined;
  let down = false;

  async function factsOf(tag: ModelResponse): Promise<ShowFacts | undefined> {
    const known = shows.get(tag.digest);
    if (known) return known;
    try {
      const facts = readShow(await opts.client.show({ model: tag.name }));
      shows.set(tag.digest, facts);
      return facts;
    } catch (err) {
      // Removed between /api/tags and /api/show, most likely; it will not be offered this round.
      opts.log.debug("ollama: /api/show failed", { model: tag.name, error: String(err) });
      return undefined;
    }
  }

  async function read(): Promise<LocalModel[]> {
    try {
      const [tags, ps] = await Promise.all([opts.client.list(), opts.client.ps()]);
      loaded = new Set(ps.models.map((m) => m.name));
      const facts = await Promise.all(tags.models.map(factsOf));
      if (down) opts.log.info("ollama: reachable again", { host: opts.host });
      down = false;
      return tags.models.flatMap((tag, i) => {
        const f = facts[i];
        return f && (f.chat || f.embeddings) ? [toLocalModel(tag, f, loaded.has(tag.name), opts.numCtx, speeds.get(tag.name))] : [];
      });
    } catch (err) {
      if (!down) opts.log.warn("ollama: offering no models until it answers", { error: toBackendError(err, { host: opts.host }).message });
      down = true;
      loaded = new Set();
      return [];
    }
  }

  return {
    models() {
      if (now() - readAt < opts.refreshMs) return Promise.resolve(cached);
      pending ??= read().then((list) => {
        cached = list;
        readAt = now();
        pending = undefined;
        return list;
      });
      return pending;
    },
    isLoaded: (name) => loaded.has(name),
    invalidate: () => void (readAt = -Infinity),
    recordSpeed: (name, tps) => void speeds.set(name, tps),
  };
}

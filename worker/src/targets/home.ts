/**
 * The user's own machine as a target: the request goes to the user's SidecarHub, which runs it on a
 * sidecar or says at once why it cannot (offline, overloaded, loading…) — no attempt wasted. The hub
 * enforces home's first-token deadline next to the socket; this side stops the generation (through
 * the hub) whenever the attempt is stopped, and never waits on the hub's stream once it is.
 */
import { ANY_LOCAL_MODEL, HearthError, type AttemptFailure, type ChatRequest, type LocalFeatures, type LocalRefusal, type PlannedTarget } from "@hearth/shared";
import { hubFor } from "../hub-client/index.js";
import type { OpenInput, OpenResult } from "../hub-client/types.js";
import { LocalFailure, frameToChunks, type ChunkMeta } from "./frames.js";
import { HomeFrames } from "./home-frames.js";
import type { Opener } from "../execute/opener.js";
import { ALIVE, type Chunk, type StreamItem } from "../stream/chunks.js";

/** Home cannot take the request now; it was not sent. */
export class LocalUnavailable extends Error {
  readonly reason: LocalRefusal;
  constructor(reason: LocalRefusal) {
    super(`home cannot take this request: ${reason}`);
    this.name = "LocalUnavailable";
    this.reason = reason;
  }
}

/** What every home attempt of one request shares. */
export interface HomeContext {
  env: Env;
  userId: string;
  req: ChatRequest;
  features: LocalFeatures;
  /** The plan's first target, already started by the hub while it planned: used by the first attempt on that model, once. */
  preStarted?: { id: string; model: string; result: OpenResult } | undefined;
  /** Keeps work alive after the response (the Worker's waitUntil): a cancel must reach home even when the client is gone. */
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * The hub's frames as chunks (ALIVE for `alive` frames). An error frame throws LocalFailure; a stream
 * that ends without `end` throws `disconnected`. When `signal` aborts — or the consumer stops early —
 * and the answer was not over, the generation at home is cancelled and the stream ends (home-frames.ts).
 */
function relay(frames: ReadableStream<Uint8Array>, meta: ChunkMeta, signal: AbortSignal, cancelAtHome: () => void): AsyncIterable<StreamItem> {
  // Made now, not when iteration starts: an attempt stopped before its first read still stops home.
  const home = new HomeFrames(frames, cancelAtHome, signal);
  async function* read(): AsyncGenerator<StreamItem> {
    try {
      for (let read = await home.next(); read; read = await home.next()) {
        // The frames of one read become one batch: the client gets them in one write.
        const batch: Chunk[] = [];
        let alive = false;
        for (const frame of read) {
          if (frame.t === "alive") alive = true;
          if (frame.t !== "error") batch.push(...frameToChunks(frame, meta));
          else {
            if (batch.length > 0) yield batch;
            frameToChunks(frame, meta); // throws LocalFailure
          }
        }
        if (batch.length > 0) yield batch;
        else if (alive) yield ALIVE;
      }
      if (!home.over) throw new LocalFailure("disconnected", "the home stream ended before the answer finished");
    } finally {
      home.stop();
    }
  }
  return read();
}

function classify(err: unknown): AttemptFailure {
  if (err instanceof LocalUnavailable) return { kind: "unavailable", reason: err.reason, contacted: false, message: err.message };
  if (err instanceof LocalFailure) {
    if (err.code === "timeout") return { kind: "timeout", reason: "timeout", message: err.message };
    if (err.code === "overloaded" || err.code === "loading" || err.code === "draining") {
      return { kind: "unavailable", reason: err.code, contacted: true, message: err.message };
    }
    if (err.code === "unsupported") return { kind: "unsupported", reason: "unsupported", contacted: true, message: err.message };
    return { kind: "unavailable", reason: err.code === "disconnected" ? "disconnected" : "error", contacted: true, message: err.message };
  }
  return { kind: "unavailable", reason: "error", contacted: true, message: err instanceof Error ? err.message : String(err) };
}

/** The pre-started attempt, if this target may use it (taken once). */
function takePreStarted(ctx: HomeContext, model: string, prefix: string | undefined) {
  const pre = ctx.preStarted;
  if (!pre || prefix !== undefined || pre.model !== model) return undefined;
  ctx.preStarted = undefined;
  return pre;
}

/** Releases a pre-started attempt no attempt used (the client left while planning, or a hedge came first). */
export function releasePreStarted(ctx: HomeContext): void {
  const pre = ctx.preStarted;
  ctx.preStarted = undefined;
  if (!pre?.result.ok) return;
  ctx.waitUntil(hubFor(ctx.env, ctx.userId).cancel(pre.id).catch(() => undefined));
  void pre.result.frames.cancel().catch(() => undefined);
}

export function homeOpener(target: PlannedTarget, ctx: HomeContext): Opener {
  return {
    target,
    classify,
    async open({ signal, prefix }) {
      const hub = hubFor(ctx.env, ctx.userId);
      const pre = takePreStarted(ctx, target.model, prefix);
      const input: OpenInput = {
        id: pre?.id ?? crypto.randomUUID(),
        model: target.model === ANY_LOCAL_MODEL ? undefined : target.model,
        body: ctx.req,
        features: ctx.features,
        firstTokenMs: target.deadlineMs,
        ...(target.wait ? { wait: true } : {}),
        ...(prefix !== undefined ? { prefix } : {}),
      };
      const result = pre?.result ?? (await hub.open(input));
      if (result.ok && signal.aborted) {
        // Stopped while the hub was opening (a deadline while it waited for room): release it at once.
        ctx.waitUntil(hub.cancel(input.id).catch(() => undefined));
        void result.frames.cancel().catch(() => undefined);
        throw signal.reason;
      }
      if (!result.ok) {
        if (result.reason === "no_such_model") {
          throw new HearthError("model_not_found", `Your sidecar has no model '${target.model}'.`, { param: "model" });
        }
        throw new LocalUnavailable(result.reason);
      }
      const cancelAtHome = () => ctx.waitUntil(hub.cancel(input.id).catch(() => undefined));
      const meta = { id: `chatcmpl-${input.id}`, created: Math.floor(Date.now() / 1000), model: result.model };
      return relay(result.frames, meta, signal, cancelAtHome);
    },
  };
}

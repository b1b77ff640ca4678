/**
 * Serves one embed request that arrived over the tunnel: a slot from admission, the backend's vectors
 * cut to `dimensions`, scaled to unit length and base64-encoded, sent back as `vectors` frames, then
 * `embedded` with the count and usage. The first vector goes out at once (it proves the model is
 * working, within the hub's first-content deadline); later ones are gathered into frames of up to
 * ~1 MiB, sent at least once a second, so big batches never approach the WebSocket message limit and
 * the Worker hears from home while a batch runs. A single input that keeps the model busy for longer
 * is covered by `alive` frames.
 */
import { encodeVector, shapeVector, type SidecarFrame, type WorkerFrame } from "@hearth/shared";
import { BackendError, type Backend } from "../backends/types.js";
import type { Admission } from "./admission.js";

export type EmbedFrame = Extract<WorkerFrame, { t: "embed" }>;
type EmbedScopedFrame = Extract<SidecarFrame, { t: "vectors" | "embedded" | "alive" }>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type EmbedOut = (frame: DistributiveOmit<EmbedScopedFrame, "seq">) => void;

export interface EmbedDeps {
  admission: Admission;
  backendFor(model: string): Backend | undefined;
  /** Something about the sidecar's state changed (a slot was taken). */
  onChange(): void;
}

export interface FramingOptions {
  /** Base64 characters gathered before a frame goes out. Default: 1 MiB. */
  frameChars: number;
  /** Longest wait before gathered vectors go out, and before `alive` when none are ready (ms). Default: 1,000. */
  everyMs: number;
}

export const DEFAULT_FRAMING: FramingOptions = { frameChars: 1 << 20, everyMs: 1_000 };

/** Gathers encoded vectors into `vectors` frames. */
class VectorFrames {
  #pending: string[] = [];
  #chars = 0;
  /** Index of the first pending vector. */
  #next = 0;
  #lastSentAt = 0;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly id: string,
    private readonly out: EmbedOut,
    private readonly opts: FramingOptions,
  ) {
    this.#timer = setInterval(() => this.#tick(), Math.max(10, opts.everyMs / 4));
    this.#timer.unref?.();
  }

  get count(): number {
    return this.#next + this.#pending.length;
  }

  push(vector: string): void {
    this.#pending.push(vector);
    this.#chars += vector.length;
    if (this.#lastSentAt === 0 || this.#chars >= this.opts.frameChars || Date.now() - this.#lastSentAt >= this.opts.everyMs) this.flush();
  }

  flush(): void {
    if (this.#pending.length === 0) return;
    this.#send({ t: "vectors", id: this.id, index: this.#next, data: this.#pending });
    this.#next += this.#pending.length;
    this.#pending = [];
    this.#chars = 0;
  }

  dispose(): void {
    clearInterval(this.#timer);
  }

  #send(frame: Parameters<EmbedOut>[0]): void {
    this.#lastSentAt = Date.now();
    this.out(frame);
  }

  /** Once the first vector is out: a frame at least every `everyMs` — the gathered vectors, or `alive`. */
  #tick(): void {
    if (this.#lastSentAt === 0 || Date.now() - this.#lastSentAt < this.opts.everyMs) return;
    if (this.#pending.length > 0) this.flush();
    else this.#send({ t: "alive", id: this.id });
  }
}

/** Resolves when every vector and `embedded` were sent; throws BackendError otherwise. */
export async function serveEmbed(frame: EmbedFrame, deps: EmbedDeps, signal: AbortSignal, out: EmbedOut, framing: FramingOptions = DEFAULT_FRAMING): Promise<void> {
  const { id, model, input, dimensions } = frame;
  const backend = deps.backendFor(model);
  if (!backend) throw new BackendError("model_not_found", `no local model '${model}'`);
  if (!backend.embed) throw new BackendError("unsupported", `the ${backend.kind} backend cannot embed`);
  const release = await deps.admission.acquire(signal, model);
  deps.onChange();
  const frames = new VectorFrames(id, out, framing);
  try {
    let promptTokens = 0;
    for await (const batch of backend.embed(model, input, { signal })) {
      for (const v of batch.vectors) {
        if (dimensions !== undefined && v.length < dimensions) {
          throw new BackendError("invalid_request", `'dimensions' is ${dimensions}, more than the ${v.length} of '${model}''s vectors`);
        }
        frames.push(encodeVector(shapeVector(v, dimensions)));
      }
      promptTokens += batch.promptTokens;
    }
    if (signal.aborted) throw new BackendError("cancelled", "cancelled");
    frames.flush();
    if (frames.count !== input.length) throw new BackendError("backend_error", `the backend made ${frames.count} vectors for ${input.length} inputs`);
    out({ t: "embedded", id, count: frames.count, usage: { prompt_tokens: promptTokens } });
  } finally {
    frames.dispose();
    release();
  }
}

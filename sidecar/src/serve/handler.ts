/**
 * Runs one request that arrived over the tunnel: admission, the backend's generation, frames back
 * (start, coalesced deltas, end — or one error frame), and cancellation when the Worker asks.
 * Embed requests go the same way through serveEmbed (embed.ts).
 */
import type { SidecarFrame, WorkerFrame } from "@hearth/shared";
import { BackendError, type Backend } from "../backends/types.js";
import type { Logger } from "../log.js";
import type { MetricsSink, Outcome } from "../metrics/registry.js";
import type { Admission } from "./admission.js";
import { Coalescer, DEFAULT_COALESCE, type CoalesceOptions } from "./coalesce.js";
import { serveEmbed, type EmbedFrame, type FramingOptions } from "./embed.js";

type RequestFrame = Extract<WorkerFrame, { t: "request" }>;
type RequestScopedFrame = Extract<SidecarFrame, { t: "start" | "delta" | "alive" | "end" | "vectors" | "embedded" | "error" }>;

/** While a model generates without text, at most one `alive` frame this often (ms): well inside any idle deadline. */
const ALIVE_EVERY_MS = 1_000;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface HandlerDeps {
  admission: Admission;
  /** The backend serving a model id, if any. */
  backendFor(model: string): Backend | undefined;
  send(frame: SidecarFrame): void;
  log: Logger;
  /** Something about the sidecar's state changed (a request started or ended). */
  onChange(): void;
  /** The number of the last state report sent (named in `start`, so the Worker can tell older reports). Default: none. */
  stateN?(): number;
  coalesce?: CoalesceOptions;
  /** How embed vectors are gathered into frames. Default: serveEmbed's. */
  embedFraming?: FramingOptions;
  /** Counts requests, first tokens and speed (one call each per request, never per token). Default: none. */
  metrics?: MetricsSink;
}

export class RequestHandler {
  readonly #deps: HandlerDeps;
  readonly #running = new Map<string, AbortController>();

  constructor(deps: HandlerDeps) {
    this.#deps = deps;
  }

  get inflight(): number {
    return this.#running.size;
  }

  cancel(id: string): void {
    this.#running.get(id)?.abort();
  }

  cancelAll(): void {
    for (const c of this.#running.values()) c.abort();
  }

  /** Resolves when the request has finished one way or another; never rejects. */
  run(frame: RequestFrame): Promise<void> {
    return this.#scoped(frame, (signal, send) => this.#serve(frame, signal, send));
  }

  /** An embed request; resolves when it has finished one way or another; never rejects. */
  embed(frame: EmbedFrame): Promise<void> {
    return this.#scoped(frame, (signal, send) => serveEmbed(frame, this.#deps, signal, send, this.#deps.embedFraming));
  }

  /** Numbers the request's frames, makes it cancellable, and turns any failure into one error frame. */
  async #scoped(frame: RequestFrame | EmbedFrame, serve: (signal: AbortSignal, send: (f: DistributiveOmit<RequestScopedFrame, "seq">) => void) => Promise<void>): Promise<void> {
    const { id } = frame;
    let seq = 0;
    // Every frame of this request is numbered, so the hub can put them back in order.
    const send = (f: DistributiveOmit<RequestScopedFrame, "seq">) => this.#deps.send({ ...f, seq: seq++ } as SidecarFrame);
    const controller = new AbortController();
    this.#running.set(id, controller);
    const started = Date.now();
    let outcome: Outcome = "ok";
    try {
      await serve(controller.signal, send);
      this.#deps.log.info("request served", { id, model: frame.model, ms: Date.now() - started });
    } catch (err) {
      const e = err instanceof BackendError ? err : new BackendError("backend_error", err instanceof Error ? err.message : String(err));
      outcome = controller.signal.aborted ? "cancelled" : e.code;
      send({ t: "error", id, code: outcome, message: e.message.slice(0, 2000) });
      this.#deps.log.info("request failed", { id, model: frame.model, code: e.code, ms: Date.now() - started });
    } finally {
      this.#count(frame, outcome);
      this.#running.delete(id);
      this.#deps.onChange();
    }
  }

  /** One count per finished request; a model this sidecar does not serve is "unknown", so labels stay bounded. */
  #count(frame: RequestFrame | EmbedFrame, outcome: Outcome): void {
    const metrics = this.#deps.metrics;
    if (!metrics) return;
    const backend = this.#deps.backendFor(frame.model)?.kind;
    const labels = { model: backend ? frame.model : "unknown", backend: backend ?? "none", outcome } as const;
    if (frame.t === "request") metrics.request(labels);
    else metrics.embedding({ ...labels, inputs: frame.input.length });
  }

  async #serve(frame: RequestFrame, signal: AbortSignal, send: (f: DistributiveOmit<RequestScopedFrame, "seq">) => void): Promise<void> {
    const { id, model, body } = frame;
    const arrived = performance.now();
    const backend = this.#deps.backendFor(model);
    if (!backend) throw new BackendError("model_not_found", `no local model '${model}'`);
    const release = await this.#deps.admission.acquire(signal, model);
    this.#deps.onChange();
    // "start" goes out with the first output rather than before the backend runs: sent early it
    // costs the hub and the Worker a wake-up each while the first token is still being made.
    let begun = false;
    let lastSentAt = Date.now();
    const out = (f: DistributiveOmit<RequestScopedFrame, "seq">) => {
      if (!begun) {
        begun = true;
        const n = this.#deps.stateN?.();
        send({ t: "start", id, model, ...(n !== undefined ? { stateN: n } : {}) });
      }
      lastSentAt = Date.now();
      send(f);
    };
    const coalescer = new Coalescer((text) => out({ t: "delta", id, text }), this.#deps.coalesce ?? DEFAULT_COALESCE);
    try {
      if (this.#deps.log.enabled("trace")) this.#deps.log.trace("prompt", { id, messages: JSON.stringify(body.messages) });
      let first = true;
      /** When the first text or tool call came (0: not yet), for time to first token and speed. */
      let firstTokenAt = 0;
      for await (const ev of backend.generate(model, body, { signal, ...(frame.prefix ? { prefix: frame.prefix } : {}) })) {
        // The first output means a cold model has finished loading: report it now, not at the end.
        if (first) {
          first = false;
          this.#deps.onChange();
        }
        if (firstTokenAt === 0 && (ev.type === "text" || ev.type === "tool_call")) {
          firstTokenAt = performance.now();
          this.#deps.metrics?.firstToken(model, (firstTokenAt - arrived) / 1000);
        }
        if (ev.type === "text") coalescer.push(ev.text);
        else if (ev.type === "progress") {
          // Silence while the model works is not a stall: say so now and then.
          if (Date.now() - lastSentAt >= ALIVE_EVERY_MS) out({ t: "alive", id });
        } else if (ev.type === "tool_call") {
          coalescer.flush();
          out({ t: "delta", id, toolCalls: [{ index: ev.index, id: ev.id, name: ev.name, arguments: ev.arguments }] });
        } else {
          coalescer.flush();
          out({ t: "end", id, finishReason: ev.finishReason, usage: ev.usage });
          const seconds = firstTokenAt === 0 ? 0 : (performance.now() - firstTokenAt) / 1000;
          this.#deps.metrics?.generated(model, { promptTokens: ev.usage.prompt_tokens, completionTokens: ev.usage.completion_tokens, seconds });
          return;
        }
      }
      if (signal.aborted) throw new BackendError("cancelled", "cancelled");
      throw new BackendError("backend_error", "the backend ended without finishing the answer");
    } finally {
      coalescer.dispose();
      release();
    }
  }
}

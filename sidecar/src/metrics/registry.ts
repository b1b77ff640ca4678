/**
 * The sidecar's Prometheus metrics: one registry, every metric named and labelled here, and the small
 * methods the serving code calls. Each call is a counter increment or one histogram observation per
 * request (never per token), so a sidecar pays nothing measurable for them; gauges that the process
 * already knows (uptime) are read only when scraped.
 *
 * Labels stay bounded: `model` is a model this sidecar serves (a request for an unknown model counts as
 * "unknown"), `backend` is llama-cpp | ollama | none, `outcome` is ok or a tunnel error code.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { LocalModel, TunnelErrorCode } from "@hearth/shared";
import type { ModelLoadEvent } from "../backends/types.js";
import type { AdmissionObserver } from "../serve/admission.js";

/** Seconds from a request's arrival to its first output: queue, model load and prompt included. */
export const TTFT_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 12, 20, 30];
/** Tokens per second after the first token: from a CPU crawl to a fast GPU. */
export const TOKENS_PER_SECOND_BUCKETS = [1, 2, 5, 10, 15, 20, 30, 40, 60, 80, 100, 150, 200];
/** Seconds a model load took: a small GGUF from page cache to a large one from a slow disk. */
export const LOAD_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];

export type Outcome = "ok" | TunnelErrorCode;
export type BackendLabel = LocalModel["backend"] | "none";

export interface RequestDone {
  model: string;
  backend: BackendLabel;
  outcome: Outcome;
}

export type ModelLoad = ModelLoadEvent;

/** What the serving code reports. The no-op NO_METRICS stands in when --metrics is off. */
export interface MetricsSink extends AdmissionObserver {
  request(done: RequestDone): void;
  embedding(done: RequestDone & { inputs: number }): void;
  firstToken(model: string, seconds: number): void;
  /** A finished generation: completion tokens after the first, over the seconds they took. */
  generated(model: string, usage: { promptTokens: number; completionTokens: number; seconds: number }): void;
  modelLoad(load: ModelLoad): void;
  /** The tunnel dialled (`dial`), opened, or closed. */
  connection(event: "dial" | "open" | "close"): void;
  /** The models served now, so their slot and queue gauges read 0 rather than being absent. */
  knownModels(ids: readonly string[]): void;
}

const nothing = () => {};
export const NO_METRICS: MetricsSink = {
  request: nothing,
  embedding: nothing,
  firstToken: nothing,
  generated: nothing,
  modelLoad: nothing,
  connection: nothing,
  knownModels: nothing,
  active: nothing,
  waiting: nothing,
};

export interface MetricsOptions {
  /** Labels of hearth_sidecar_info. */
  version: string;
  protocol: number;
  /** Configured slots and queue, for utilisation ratios. */
  slots: number;
  queue: number;
  /** Also the standard process_* and nodejs_* metrics (memory, CPU, event loop lag, GC). Default: true. */
  processMetrics?: boolean;
}

export class SidecarMetrics implements MetricsSink {
  readonly registry = new Registry();
  readonly #requests: Counter<"model" | "backend" | "outcome">;
  readonly #embeddings: Counter<"model" | "backend" | "outcome">;
  readonly #embeddingInputs: Counter<"model">;
  readonly #ttft: Histogram<"model">;
  readonly #speed: Histogram<"model">;
  readonly #tokens: Counter<"model" | "kind">;
  readonly #loads: Counter<"model" | "backend" | "result">;
  readonly #loadSeconds: Histogram<"model" | "backend">;
  readonly #inUse: Gauge<"model">;
  readonly #queued: Gauge<"model">;
  readonly #connected: Gauge;
  readonly #reconnects: Counter;
  readonly #disconnects: Counter;
  #dials = 0;
  #open = false;

  constructor(opts: MetricsOptions) {
    const registers = [this.registry];
    const started = performance.now();
    this.#requests = new Counter({ name: "hearth_sidecar_requests_total", help: "Chat requests finished, by outcome (ok or the tunnel error code).", labelNames: ["model", "backend", "outcome"], registers });
    this.#embeddings = new Counter({ name: "hearth_sidecar_embedding_requests_total", help: "Embedding requests finished, by outcome.", labelNames: ["model", "backend", "outcome"], registers });
    this.#embeddingInputs = new Counter({ name: "hearth_sidecar_embedding_inputs_total", help: "Inputs embedded by successful embedding requests.", labelNames: ["model"], registers });
    this.#ttft = new Histogram({ name: "hearth_sidecar_time_to_first_token_seconds", help: "From a chat request's arrival to its first output (queue, model load and prompt included).", labelNames: ["model"], buckets: TTFT_BUCKETS, registers });
    this.#speed = new Histogram({ name: "hearth_sidecar_tokens_per_second", help: "Generation speed of finished chat requests: completion tokens after the first over the time they took.", labelNames: ["model"], buckets: TOKENS_PER_SECOND_BUCKETS, registers });
    this.#tokens = new Counter({ name: "hearth_sidecar_tokens_total", help: "Tokens of finished chat requests, prompt and completion.", labelNames: ["model", "kind"], registers });
    this.#loads = new Counter({ name: "hearth_sidecar_model_loads_total", help: "Model loads, by result (ok, failed). Ollama loads are seen only when they succeed.", labelNames: ["model", "backend", "result"], registers });
    this.#loadSeconds = new Histogram({ name: "hearth_sidecar_model_load_seconds", help: "How long successful model loads took.", labelNames: ["model", "backend"], buckets: LOAD_BUCKETS, registers });
    this.#inUse = new Gauge({ name: "hearth_sidecar_slots_in_use", help: "Requests holding a generation slot now.", labelNames: ["model"], registers });
    this.#queued = new Gauge({ name: "hearth_sidecar_queue_length", help: "Requests waiting for a slot now.", labelNames: ["model"], registers });
    new Gauge({ name: "hearth_sidecar_slots", help: "Generation slots configured (--slots).", registers }).set(opts.slots);
    new Gauge({ name: "hearth_sidecar_queue_capacity", help: "Requests that may wait for a slot (--queue).", registers }).set(opts.queue);
    this.#connected = new Gauge({ name: "hearth_sidecar_tunnel_connected", help: "1 while the tunnel to the Worker is open, else 0.", registers });
    this.#reconnects = new Counter({ name: "hearth_sidecar_tunnel_reconnects_total", help: "Dials of the tunnel after the first (each retry counts).", registers });
    this.#disconnects = new Counter({ name: "hearth_sidecar_tunnel_disconnects_total", help: "Times an open tunnel closed.", registers });
    new Gauge({
      name: "hearth_sidecar_uptime_seconds",
      help: "Seconds since the sidecar started.",
      registers,
      collect() {
        this.set((performance.now() - started) / 1000);
      },
    });
    new Gauge({ name: "hearth_sidecar_info", help: "The sidecar's version and tunnel protocol (always 1).", labelNames: ["version", "protocol"], registers }).set({ version: opts.version, protocol: String(opts.protocol) }, 1);
    this.#connected.set(0);
    this.#reconnects.inc(0);
    this.#disconnects.inc(0);
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  request({ model, backend, outcome }: RequestDone): void {
    this.#requests.inc({ model, backend, outcome });
  }

  embedding({ model, backend, outcome, inputs }: RequestDone & { inputs: number }): void {
    this.#embeddings.inc({ model, backend, outcome });
    if (outcome === "ok") this.#embeddingInputs.inc({ model }, inputs);
  }

  firstToken(model: string, seconds: number): void {
    this.#ttft.observe({ model }, seconds);
  }

  generated(model: string, { promptTokens, completionTokens, seconds }: { promptTokens: number; completionTokens: number; seconds: number }): void {
    this.#tokens.inc({ model, kind: "prompt" }, promptTokens);
    this.#tokens.inc({ model, kind: "completion" }, completionTokens);
    // The first token's time is the prompt's; speed counts the tokens after it (as the backends do).
    if (completionTokens >= 2 && seconds > 0) this.#speed.observe({ model }, (completionTokens - 1) / seconds);
  }

  modelLoad({ model, backend, seconds, ok }: ModelLoad): void {
    this.#loads.inc({ model, backend, result: ok ? "ok" : "failed" });
    if (ok) this.#loadSeconds.observe({ model, backend }, seconds);
  }

  connection(event: "dial" | "open" | "close"): void {
    if (event === "dial") {
      if (this.#dials++ > 0) this.#reconnects.inc();
    } else if (event === "open") {
      this.#open = true;
      this.#connected.set(1);
    } else {
      // A close after open is a disconnect; a dial that never opened also ends in close.
      if (this.#open) this.#disconnects.inc();
      this.#open = false;
      this.#connected.set(0);
    }
  }

  knownModels(ids: readonly string[]): void {
    for (const model of ids) {
      // inc by 0 creates the series without changing a value already there.
      this.#inUse.inc({ model }, 0);
      this.#queued.inc({ model }, 0);
    }
  }

  active(model: string, delta: 1 | -1): void {
    this.#inUse.inc({ model }, delta);
  }

  waiting(model: string, delta: 1 | -1): void {
    this.#queued.inc({ model }, delta);
  }

  /** The text a scrape gets, and its content type. */
  async exposition(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

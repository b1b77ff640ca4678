/**
 * The sidecar: backends + admission + the tunnel. It says hello with its state when the Worker
 * welcomes it, reports state on a heartbeat and on change, runs requests, and drains on shutdown.
 */
import { PROTOCOL_VERSION, type LocalModel, type WorkerFrame } from "@hearth/shared";
import type { Backend } from "./backends/types.js";
import { BackendError } from "./backends/types.js";
import type { Logger } from "./log.js";
import type { Metrics } from "./metrics/index.js";
import { Admission } from "./serve/admission.js";
import { RequestHandler } from "./serve/handler.js";
import { buildState, collectModels } from "./state.js";
import { TunnelClient } from "./tunnel/client.js";
import { PROTOCOL_OVERRIDE_ENV, sidecarProtocol, type ProtocolMismatch } from "./tunnel/handshake.js";
import { SIDECAR_VERSION } from "./version.js";

export interface SidecarOptions {
  /** ws(s)://…/v1/sidecar/connect */
  connectUrl: string;
  token: string;
  /** Stable per installation: a reconnect replaces its old connection instead of adding one. */
  sidecarId: string;
  /** Shown in the Worker's snapshot. Default: none. */
  name?: string;
  backends: Backend[];
  /** Generations at once. */
  slots: number;
  /** Requests that may wait for a slot; beyond that they are refused as overloaded. */
  queue: number;
  log: Logger;
  /** On shutdown, how long running requests may take to finish before they are cancelled. Default: 30,000 ms. */
  drainTimeoutMs?: number;
  /**
   * Routing tags by model id, advertised with the models. The tag `embeddings` also offers the model
   * for POST /v1/embeddings (for a chat model, whose metadata does not say it embeds). Default: none
   * (the Worker infers tags from names).
   */
  tags?: Readonly<Record<string, string[]>>;
  /** Prometheus metrics to feed; disposed with the sidecar. Default: none. */
  metrics?: Metrics;
  /** The tunnel protocol version to speak. Default: PROTOCOL_VERSION (HEARTH_SIDECAR_PROTOCOL_OVERRIDE in tests). */
  protocol?: number;
  /** This sidecar's package version, told to the Worker. Default: SIDECAR_VERSION. */
  version?: string;
  /**
   * The Worker and this sidecar cannot speak the same protocol version; the tunnel has stopped for
   * good. Default: the tunnel logs the message as an error.
   */
  onMismatch?(mismatch: ProtocolMismatch): void;
}

/** The tag that offers a model for embeddings whatever its metadata says. */
export const EMBEDDINGS_TAG = "embeddings";

/** Models with their configured tags; the `embeddings` tag marks the model as making embeddings. */
export function withTags(models: LocalModel[], tags: Readonly<Record<string, string[]>>): LocalModel[] {
  return models.map((m) => {
    const own = tags[m.id];
    if (!own) return m;
    return { ...m, tags: own, ...(own.includes(EMBEDDINGS_TAG) ? { embeddings: true } : {}) };
  });
}

/** State changes are batched for this long before a state frame goes out. */
const STATE_DEBOUNCE_MS = 200;

export class Sidecar {
  readonly #opts: SidecarOptions;
  readonly #admission: Admission;
  readonly #handler: RequestHandler;
  readonly #tunnel: TunnelClient;
  #owner = new Map<string, Backend>();
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #stateTimer: ReturnType<typeof setTimeout> | undefined;
  #draining = false;
  /** Numbers the state reports; `start` frames name the last one sent. */
  #stateN = 0;
  readonly #running = new Set<Promise<void>>();
  readonly #protocol: number;

  constructor(opts: SidecarOptions) {
    this.#opts = opts;
    this.#protocol = opts.protocol ?? sidecarProtocol();
    if (this.#protocol !== PROTOCOL_VERSION) opts.log.warn(`claiming tunnel protocol ${this.#protocol} instead of ${PROTOCOL_VERSION} (${PROTOCOL_OVERRIDE_ENV}, for tests)`);
    const metrics = opts.metrics?.sink;
    if (metrics) for (const b of opts.backends) b.observeLoads?.((load) => metrics.modelLoad(load));
    this.#admission = new Admission({ slots: opts.slots, queue: opts.queue, ...(metrics ? { observer: metrics } : {}) });
    this.#handler = new RequestHandler({
      admission: this.#admission,
      backendFor: (model) => this.#owner.get(model),
      send: (frame) => void this.#tunnel.send(frame),
      log: opts.log,
      onChange: () => this.#scheduleState(),
      stateN: () => this.#stateN,
      ...(metrics ? { metrics } : {}),
    });
    this.#tunnel = new TunnelClient({
      url: opts.connectUrl,
      token: opts.token,
      log: opts.log,
      onFrame: (frame) => this.#onFrame(frame),
      onDisconnect: () => {
        clearInterval(this.#heartbeat);
        // The Worker has failed these over already; stop spending the machine on them.
        this.#handler.cancelAll();
      },
      protocol: this.#protocol,
      version: opts.version ?? SIDECAR_VERSION,
      ...(opts.onMismatch ? { onMismatch: opts.onMismatch } : {}),
      ...(metrics ? { onConnection: (event: "dial" | "open" | "close") => metrics.connection(event) } : {}),
    });
  }

  async start(): Promise<void> {
    await this.#refreshModels();
    this.#tunnel.start();
  }

  get connected(): boolean {
    return this.#tunnel.connected;
  }

  #onFrame(frame: WorkerFrame): void {
    switch (frame.t) {
      case "welcome":
        // An incompatible Worker's welcome never gets here: the tunnel stops on it (handshake.ts).
        void this.#sendState("hello");
        clearInterval(this.#heartbeat);
        this.#heartbeat = setInterval(() => void this.#sendState("state"), frame.heartbeatMs);
        return;
      case "request":
      case "embed":
        if (this.#draining) {
          this.#tunnel.send({ t: "error", id: frame.id, seq: 0, code: "draining", message: "the sidecar is shutting down" });
          return;
        }
        this.#track(frame.t === "request" ? this.#handler.run(frame) : this.#handler.embed(frame));
        return;
      case "cancel":
        this.#handler.cancel(frame.id);
        return;
    }
  }

  #track(p: Promise<void>): void {
    this.#running.add(p);
    void p.finally(() => this.#running.delete(p));
  }

  async #refreshModels() {
    const { models, owner } = await collectModels(this.#opts.backends);
    this.#owner = owner;
    this.#opts.metrics?.sink.knownModels(models.map((m) => m.id));
    return withTags(models, this.#opts.tags ?? {});
  }

  async #sendState(kind: "hello" | "state"): Promise<void> {
    const models = await this.#refreshModels();
    const state = buildState(models, {
      backends: this.#opts.backends,
      slots: this.#opts.slots,
      active: this.#admission.active,
      queueMax: this.#opts.queue,
      queueDepth: this.#admission.waiting,
      draining: this.#draining,
      n: ++this.#stateN,
    });
    if (kind === "hello") {
      this.#tunnel.send({ t: "hello", v: this.#protocol, sidecarId: this.#opts.sidecarId, ...(this.#opts.name ? { name: this.#opts.name } : {}), state });
      this.#opts.log.info("hello sent", { models: models.length });
    } else {
      this.#tunnel.send({ t: "state", state });
    }
  }

  #scheduleState(): void {
    this.#stateTimer ??= setTimeout(() => {
      this.#stateTimer = undefined;
      void this.#sendState("state");
    }, STATE_DEBOUNCE_MS);
  }

  /**
   * Stop taking work, tell the Worker, let running requests finish (or cancel them after the drain
   * timeout), close the tunnel and dispose the backends. Idempotent.
   */
  async shutdown(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    this.#admission.rejectWaiting(new BackendError("draining", "the sidecar is shutting down"));
    await this.#sendState("state");
    this.#tunnel.send({ t: "bye", reason: "shutting down" });
    const drained = Promise.allSettled([...this.#running]);
    const timeout = new Promise((r) => setTimeout(r, this.#opts.drainTimeoutMs ?? 30_000).unref());
    if ((await Promise.race([drained.then(() => "drained"), timeout])) !== "drained") {
      this.#opts.log.warn("drain timeout: cancelling running requests", { running: this.#running.size });
      this.#handler.cancelAll();
      await drained;
    }
    clearInterval(this.#heartbeat);
    clearTimeout(this.#stateTimer);
    await this.#tunnel.close(1001, "sidecar shutting down");
    await Promise.allSettled(this.#opts.backends.map((b) => b.dispose()));
    await this.#opts.metrics?.dispose();
  }
}

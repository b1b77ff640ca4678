/**
 * The hub's home side: the user's sidecar sockets (accepted with the Hibernation API, so an idle
 * connection costs nothing and pings are answered without waking the hub), their reported state and
 * breakers (sidecars.ts), the requests relayed to them (relay.ts), and where each request goes and
 * when (scheduler.ts).
 */
import {
  PROTOCOL_CLOSE_CODE,
  PROTOCOL_VERSION,
  WORKER_PROTOCOL,
  admit,
  compatibility,
  encodeFrame,
  homeEvent,
  parseSidecarFrame,
  pickEmbedder,
  pickLocal,
  recordFailure,
  recordSuccess,
  type BreakerOptions,
  type HomeEvent,
  type PerfSample,
  type SidecarFrame,
  type SidecarView,
  type WorkerFrame,
} from "@hearth/shared";
import type { EmbedInput, EmbedOpenResult, HubSidecar, OpenInput, OpenResult } from "../../hub-client/types.js";
import type { Logger } from "../../log.js";
import { WORKER_VERSION } from "../../version.js";
import { Relay, type Outcome } from "./relay.js";
import { Scheduler } from "./scheduler.js";
import { SIDECAR_TAG, Sidecars, type SocketAttachment } from "./sidecars.js";

/** How often the sidecar should report its state. */
export const HEARTBEAT_MS = 15_000;

export interface HomeOptions {
  breaker: BreakerOptions;
  log: Logger;
  /** A sidecar connected, reported, drained, went away or its breaker moved (for the live feed). */
  onEvent(event: HomeEvent): void;
  /** Whether anyone listens to events now (building one is skipped when not). */
  listening(): boolean;
  /** A finished home answer's timings, for the model's performance window. */
  onSample(model: string, sample: PerfSample): void;
}

export class Home {
  readonly #ctx: DurableObjectState;
  readonly #o: HomeOptions;
  readonly #sidecars: Sidecars;
  readonly #relay: Relay;
  readonly #scheduler: Scheduler;

  constructor(ctx: DurableObjectState, o: HomeOptions) {
    this.#ctx = ctx;
    this.#o = o;
    this.#sidecars = new Sidecars(ctx);
    this.#relay = new Relay({
      onOutcome: (id, outcome) => void this.#recordOutcome(id, outcome),
      cancelAtHome: (ws, id) => this.#send(ws, { t: "cancel", id }),
      onSample: (model, sample) => o.onSample(model, sample),
      onStart: (sidecarId, model, stateN) => this.#sidecars.answered(sidecarId, model, stateN),
      onFinish: () => this.#scheduler.changed(),
    });
    this.#scheduler = new Scheduler({ views: (now) => this.views(now) });
  }

  /** Reloads what the sockets that survived hibernation had reported. */
  load(): Promise<void> {
    return this.#sidecars.load();
  }

  /** A sidecar's WebSocket upgrade, already authenticated by the Worker (it passes the credential id). */
  accept(request: Request): Response {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.#ctx.acceptWebSocket(server, [SIDECAR_TAG]);
    const attachment: SocketAttachment = { credentialId: request.headers.get("x-hearth-credential") ?? "", connectedAt: Date.now() };
    server.serializeAttachment(attachment);
    this.#send(server, { t: "welcome", v: PROTOCOL_VERSION, heartbeatMs: HEARTBEAT_MS, ...WORKER_PROTOCOL, version: WORKER_VERSION });
    return new Response(null, { status: 101, webSocket: client });
  }

  async message(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    this.#sidecars.seen(ws);
    if (typeof message !== "string") return;
    const parsed = parseSidecarFrame(message);
    if (!parsed.ok) {
      this.#o.log.warn("invalid frame from sidecar", { error: parsed.error });
      return;
    }
    await this.#onFrame(ws, parsed.frame, message);
  }

  async #onFrame(ws: WebSocket, frame: SidecarFrame, raw: string): Promise<void> {
    const sidecarId = (ws.deserializeAttachment() as SocketAttachment).sidecarId;
    switch (frame.t) {
      case "hello":
        if (!this.#compatible(ws, frame.v)) return;
        await this.#sidecars.hello(ws, frame.sidecarId, frame.name, frame.state);
        this.#o.log.info("sidecar connected", { sidecarId: frame.sidecarId, models: frame.state.models.length });
        this.#event("connected", frame.sidecarId);
        return;
      case "state":
        if (sidecarId) await this.#sidecars.setState(sidecarId, frame.state);
        this.#scheduler.changed();
        if (sidecarId) this.#event("state", sidecarId);
        return;
      case "bye": {
        const state = sidecarId ? this.#sidecars.state(sidecarId) : undefined;
        if (sidecarId && state) await this.#sidecars.setState(sidecarId, { ...state, draining: true });
        if (sidecarId) this.#event("draining", sidecarId);
        return;
      }
      default:
        this.#relay.deliver(ws, frame, raw);
    }
  }

  /**
   * A sidecar too old to name its version at the upgrade names it only here. An incompatible one is
   * closed with a reason that says what to upgrade: sidecars print the close reason.
   */
  #compatible(ws: WebSocket, protocol: number): boolean {
    const verdict = compatibility({ worker: { ...WORKER_PROTOCOL, version: WORKER_VERSION }, sidecar: { protocol } });
    if (verdict.ok) return true;
    this.#o.log.warn("sidecar refused: protocol version", { sidecar: protocol, upgrade: verdict.upgrade });
    ws.close(PROTOCOL_CLOSE_CODE, verdict.closeReason);
    return false;
  }

  /** A socket closed or failed: its requests end, and its sidecar is forgotten unless another socket of it took over. */
  async gone(ws: WebSocket): Promise<void> {
    this.#relay.disconnected(ws);
    const { sidecarId, name } = ws.deserializeAttachment() as SocketAttachment;
    if (sidecarId && !this.#sidecars.sockets().some((s) => s.ws !== ws && s.attachment.sidecarId === sidecarId)) {
      await this.#sidecars.forget(sidecarId);
      this.#o.log.info("sidecar disconnected", { sidecarId });
      this.#event("disconnected", sidecarId, name);
    }
  }

  /** The sidecars as the planner and the picker see them now. */
  views(now: number): SidecarView[] {
    return this.#sidecars.views((id) => this.#relay.inflightOn(id), this.#o.breaker, now);
  }

  /**
   * Run a request at home, or say at once why not. With `wait` (home is all the request has), a model
   * that is loading is asked anyway (the sidecar queues it behind the load) and a full sidecar is
   * waited for until a slot frees, within the request's first-token deadline.
   */
  async open(input: OpenInput): Promise<OpenResult> {
    const until = Date.now() + input.firstTokenMs;
    const choice = await this.#scheduler.place((views) => pickLocal({ ...input.features, model: input.model, wait: input.wait === true }, views), until);
    if (!choice.ok) return choice;
    const now = Date.now();
    const before = this.#sidecars.breaker(choice.sidecarId);
    const gate = admit(before, now, this.#o.breaker);
    if (!gate.allow) return { ok: false, reason: "breaker_open" };
    if (gate.state !== before) await this.#sidecars.setBreaker(choice.sidecarId, gate.state);
    const ws = this.#sidecars.socketOf(choice.sidecarId);
    if (!ws) return { ok: false, reason: "offline" };
    // Time spent waiting for a slot counts against the first-token deadline.
    const frames = this.#relay.open(input.id, choice.sidecarId, choice.model.id, ws, Math.max(1, until - now), input.features.promptTokens);
    this.#send(ws, { t: "request", id: input.id, model: choice.model.id, body: input.body, ...(input.prefix !== undefined ? { prefix: input.prefix } : {}) });
    return { ok: true, model: choice.model.id, sidecarId: choice.sidecarId, frames };
  }

  /**
   * Embed at home with the named model, on whichever sidecar has it, or say at once why not. Home is
   * an embedding request's only target (never another model), so a full sidecar is waited for and a
   * loading model is asked anyway, within the first-content deadline. The breaker is neither asked
   * nor told: it exists to send chat to the cloud sooner, and an embedding has nowhere else to go.
   */
  async embed(input: EmbedInput): Promise<EmbedOpenResult> {
    const until = Date.now() + input.firstContentMs;
    const choice = await this.#scheduler.place((views) => pickEmbedder(input.model, views, input.avoid), until);
    if (!choice.ok) return choice;
    const ws = this.#sidecars.socketOf(choice.sidecarId);
    if (!ws) return { ok: false, reason: "offline" };
    const frames = this.#relay.open(input.id, choice.sidecarId, choice.model.id, ws, Math.max(1, until - Date.now()), 0, "embed");
    this.#send(ws, { t: "embed", id: input.id, model: choice.model.id, input: input.input, ...(input.dimensions ? { dimensions: input.dimensions } : {}) });
    return { ok: true, sidecarId: choice.sidecarId, frames };
  }

  /** The Worker stopped reading (client gone, deadline): cancel at home. */
  cancel(id: string): void {
    this.#relay.cancel(id);
  }

  sidecars(): HubSidecar[] {
    return this.#sidecars.sockets().flatMap(({ ws, attachment }) => {
      const id = attachment.sidecarId;
      const state = id ? this.#sidecars.state(id) : undefined;
      if (!id || !state) return [];
      const lastSeenAt = this.#sidecars.lastSeen(ws);
      return [{ sidecarId: id, name: attachment.name, connectedAt: attachment.connectedAt, ...state, inflight: this.#relay.inflightOn(id), breaker: this.#sidecars.breaker(id).status, ...(lastSeenAt ? { lastSeenAt } : {}) }];
    });
  }

  /** Closes the sockets `which` selects (all of them by default). Returns how many. */
  async close(reason: string, which: (a: SocketAttachment) => boolean = () => true): Promise<number> {
    let closed = 0;
    for (const { ws, attachment } of this.#sidecars.sockets()) {
      if (!which(attachment)) continue;
      ws.close(4001, reason);
      await this.gone(ws);
      closed++;
    }
    return closed;
  }

  /** Tells the live feed about a sidecar, as the hub sees it now. */
  #event(event: HomeEvent["event"], sidecarId: string, name?: string): void {
    if (!this.#o.listening()) return;
    const socket = this.#sidecars.sockets().find((s) => s.attachment.sidecarId === sidecarId);
    const state = this.#sidecars.state(sidecarId);
    const sidecar = { sidecarId, name: name ?? socket?.attachment.name, ...(state ?? {}), breaker: this.#sidecars.breaker(sidecarId).status };
    this.#o.onEvent(homeEvent(event, sidecar, Date.now()));
  }

  async #recordOutcome(sidecarId: string, outcome: Outcome): Promise<void> {
    const before = this.#sidecars.breaker(sidecarId);
    const after =
      outcome === "success"
        ? recordSuccess()
        : outcome === "failure"
          ? recordFailure(before, Date.now(), this.#o.breaker)
          : { ...before, probing: false }; // a busy or cancelled probe says nothing: let the next one through
    if (after.status === before.status && after.failures === before.failures && after.probing === before.probing) return;
    if (after.status !== before.status) this.#o.log.info("breaker", { sidecarId, from: before.status, to: after.status });
    await this.#sidecars.setBreaker(sidecarId, after);
    if (after.status !== before.status) this.#event("breaker", sidecarId);
  }

  #send(ws: WebSocket, frame: WorkerFrame): void {
    try {
      ws.send(encodeFrame(frame));
    } catch (err) {
      this.#o.log.warn("send to sidecar failed", { error: err instanceof Error ? err.message : String(err) });
    }
  }
}

/**
 * The hub's view of its connected sidecars: sockets (with their attachments) plus each sidecar's
 * last reported state and breaker, kept in storage so a hibernated hub wakes up knowing them.
 */
import {
  closedBreaker,
  wouldAdmit,
  type BreakerOptions,
  type BreakerState,
  type SidecarState,
  type SidecarView,
} from "@hearth/shared";

/** Per-socket facts kept with the socket itself, so they survive hibernation (≤ 2 KiB). */
export interface SocketAttachment {
  credentialId: string;
  connectedAt: number;
  /** Set by the sidecar's hello. */
  sidecarId?: string;
  name?: string;
}

export const SIDECAR_TAG = "sidecar";
/** A sidecar silent (no frame, no ping) for this long is treated as gone. */
export const STALE_AFTER_MS = 45_000;

const stateKey = (id: string) => `state:${id}`;
const breakerKey = (id: string) => `breaker:${id}`;

export class Sidecars {
  readonly #ctx: DurableObjectState;
  readonly #states = new Map<string, SidecarState>();
  readonly #breakers = new Map<string, BreakerState>();
  readonly #lastSeen = new Map<WebSocket, number>();
  /** The newest state report number applied, per sidecar (reports can overtake each other). */
  readonly #lastN = new Map<string, number>();
  /** Models that began answering, per sidecar, with the number of the last state report sent before: reports up to it are older than that answer. */
  readonly #answered = new Map<string, Map<string, number>>();

  constructor(ctx: DurableObjectState) {
    this.#ctx = ctx;
  }

  /** Reload persisted state for the sockets that survived hibernation. */
  async load(): Promise<void> {
    const ids = this.sockets().map((s) => s.attachment.sidecarId).filter((id): id is string => !!id);
    if (ids.length === 0) return;
    const stored = await this.#ctx.storage.get<SidecarState | BreakerState>(ids.flatMap((id) => [stateKey(id), breakerKey(id)]));
    for (const id of ids) {
      const state = stored.get(stateKey(id)) as SidecarState | undefined;
      const breaker = stored.get(breakerKey(id)) as BreakerState | undefined;
      if (state) this.#states.set(id, state);
      if (breaker) this.#breakers.set(id, breaker);
    }
  }

  sockets(): { ws: WebSocket; attachment: SocketAttachment }[] {
    return this.#ctx.getWebSockets(SIDECAR_TAG).map((ws) => ({ ws, attachment: ws.deserializeAttachment() as SocketAttachment }));
  }

  socketOf(sidecarId: string): WebSocket | undefined {
    return this.sockets().find((s) => s.attachment.sidecarId === sidecarId && s.ws.readyState === WebSocket.OPEN)?.ws;
  }

  seen(ws: WebSocket, now = Date.now()): void {
    this.#lastSeen.set(ws, now);
  }

  /** When the sidecar on `ws` was last heard from (a frame or an auto-answered ping); undefined if not since the hub woke. */
  lastSeen(ws: WebSocket): number | undefined {
    const last = Math.max(this.#ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0, this.#lastSeen.get(ws) ?? 0);
    return last === 0 ? undefined : last;
  }

  /** Alive: open, and heard from (a frame or an auto-answered ping) recently — or just woke and cannot tell. */
  #alive(ws: WebSocket, now: number): boolean {
    if (ws.readyState !== WebSocket.OPEN) return false;
    const ping = this.#ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
    const last = Math.max(ping, this.#lastSeen.get(ws) ?? 0);
    return last === 0 || now - last < STALE_AFTER_MS;
  }

  async hello(ws: WebSocket, sidecarId: string, name: string | undefined, state: SidecarState): Promise<void> {
    // The same installation reconnecting replaces its old socket; a different one joins beside it.
    for (const other of this.sockets()) {
      if (other.ws !== ws && other.attachment.sidecarId === sidecarId) other.ws.close(4000, "replaced by a new connection");
    }
    const attachment = ws.deserializeAttachment() as SocketAttachment;
    ws.serializeAttachment({ ...attachment, sidecarId, ...(name ? { name } : {}) } satisfies SocketAttachment);
    // A new connection (maybe a restarted process) numbers its reports afresh.
    this.#lastN.delete(sidecarId);
    this.#answered.delete(sidecarId);
    await this.setState(sidecarId, state);
  }

  /**
   * A state report from the sidecar. One older than a report already applied is dropped; one sent
   * before an answer began is corrected by what that answer proved (its model is loaded), so the
   * planner never decides on a state older than the sidecar's last answer.
   */
  async setState(sidecarId: string, reported: SidecarState): Promise<void> {
    const n = reported.n;
    if (n !== undefined && n < (this.#lastN.get(sidecarId) ?? 0)) return;
    if (n !== undefined) this.#lastN.set(sidecarId, n);
    const marks = this.#answered.get(sidecarId);
    let state = reported;
    for (const [model, after] of marks ?? []) {
      // A report newer than the answer is authoritative (the model may have been unloaded since).
      if (n !== undefined && n > after) marks?.delete(model);
      else state = answeredOn(state, model);
    }
    if (n === undefined) marks?.clear();
    this.#states.set(sidecarId, state);
    // Advisory and re-reported every heartbeat: a confirmed write would hold back the hub's sends and
    // RPC replies (the output gate) for every request that overlaps a state frame.
    await this.#ctx.storage.put(stateKey(sidecarId), state, { allowUnconfirmed: true });
  }

  /** `model` began answering on `sidecarId`, after its state report `stateN` (undefined: an older sidecar that does not say). */
  answered(sidecarId: string, model: string, stateN: number | undefined): void {
    let marks = this.#answered.get(sidecarId);
    if (!marks) this.#answered.set(sidecarId, (marks = new Map()));
    marks.set(model, stateN ?? this.#lastN.get(sidecarId) ?? 0);
    const state = this.#states.get(sidecarId);
    if (state) this.#states.set(sidecarId, answeredOn(state, model));
  }

  state(sidecarId: string): SidecarState | undefined {
    return this.#states.get(sidecarId);
  }

  async forget(sidecarId: string): Promise<void> {
    this.#states.delete(sidecarId);
    this.#lastN.delete(sidecarId);
    this.#answered.delete(sidecarId);
    await this.#ctx.storage.delete(stateKey(sidecarId));
  }

  breaker(sidecarId: string): BreakerState {
    return this.#breakers.get(sidecarId) ?? closedBreaker();
  }

  async setBreaker(sidecarId: string, state: BreakerState): Promise<void> {
    this.#breakers.set(sidecarId, state);
    await this.#ctx.storage.put(breakerKey(sidecarId), state);
  }

  /** Connected, live sidecars that said hello, as the pure picker sees them. */
  views(inflightOn: (id: string) => number, breaker: BreakerOptions, now = Date.now()): SidecarView[] {
    const out: SidecarView[] = [];
    for (const { ws, attachment } of this.sockets()) {
      const id = attachment.sidecarId;
      const state = id ? this.#states.get(id) : undefined;
      if (!id || !state || !this.#alive(ws, now)) continue;
      out.push({ sidecarId: id, state, inflight: inflightOn(id), breakerAllows: wouldAdmit(this.breaker(id), now, breaker) });
    }
    return out;
  }
}

/** What an answer from `model` proves about a state: the model is loaded and not loading. */
function answeredOn(state: SidecarState, model: string): SidecarState {
  if (!state.loading.includes(model) && state.models.every((m) => m.id !== model || m.loaded)) return state;
  return {
    ...state,
    loading: state.loading.filter((id) => id !== model),
    models: state.models.map((m) => (m.id === model && !m.loaded ? { ...m, loaded: true } : m)),
  };
}

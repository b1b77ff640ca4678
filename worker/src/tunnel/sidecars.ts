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
import type { SocketAttachment } from "./types.js";

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
    await this.setState(sidecarId, state);
  }

  async setState(sidecarId: string, state: SidecarState): Promise<void> {
    this.#states.set(sidecarId, state);
    // Advisory and re-reported every heartbeat: a confirmed write would hold back the hub's sends and
    // RPC replies (the output gate) for every request that overlaps a state frame.
    await this.#ctx.storage.put(stateKey(sidecarId), state, { allowUnconfirmed: true });
  }

  state(sidecarId: string): SidecarState | undefined {
    return this.#states.get(sidecarId);
  }

  async forget(sidecarId: string): Promise<void> {
    this.#states.delete(sidecarId);
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

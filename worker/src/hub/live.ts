/**
 * The live feed: WebSockets (tag "live") that the user's hub accepts with the Hibernation API and
 * pushes to — each finished request as it is recorded (shared/src/stats/live.ts: never prompt text),
 * and the user's sidecars connecting, reporting state, draining and going away. Read-only: what a
 * client sends is ignored (its "ping" is answered "pong" by the runtime, as the sidecar's are).
 */
import { liveRequest, type HomeEvent, type RequestRecord } from "@hearth/shared";
export { LIVE_PATH } from "../hub-client/index.js";

export const LIVE_TAG = "live";
/** Sockets per user: past it the oldest is closed (a dashboard left open in many tabs). */
export const MAX_LIVE_SOCKETS = 16;

export class LiveFeed {
  readonly #ctx: DurableObjectState;

  constructor(ctx: DurableObjectState) {
    this.#ctx = ctx;
  }

  /** Accepts a live socket; the upgrade was authenticated by the Worker. */
  accept(): Response {
    const open = this.#ctx.getWebSockets(LIVE_TAG);
    for (const old of open.slice(0, Math.max(0, open.length - MAX_LIVE_SOCKETS + 1))) old.close(4003, "too many live connections");
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.#ctx.acceptWebSocket(server, [LIVE_TAG]);
    server.send(JSON.stringify({ type: "hello", at: new Date().toISOString() }));
    return new Response(null, { status: 101, webSocket: client });
  }

  isLive(ws: WebSocket): boolean {
    return this.#ctx.getTags(ws).includes(LIVE_TAG);
  }

  /** No socket listening: the hub skips building events. */
  get idle(): boolean {
    return this.#ctx.getWebSockets(LIVE_TAG).length === 0;
  }

  requests(records: readonly RequestRecord[]): void {
    if (this.idle) return;
    for (const r of records) this.#push(JSON.stringify(liveRequest(r)));
  }

  home(event: HomeEvent): void {
    if (!this.idle) this.#push(JSON.stringify(event));
  }

  closeAll(code: number, reason: string): void {
    for (const ws of this.#ctx.getWebSockets(LIVE_TAG)) {
      try {
        ws.close(code, reason);
      } catch {
        // already closed
      }
    }
  }

  #push(text: string): void {
    for (const ws of this.#ctx.getWebSockets(LIVE_TAG)) {
      try {
        ws.send(text);
      } catch {
        // closing or closed: its close handler tidies up
      }
    }
  }
}

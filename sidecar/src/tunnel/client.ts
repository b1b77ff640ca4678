/**
 * The sidecar's end of the tunnel: one outbound WebSocket to the Worker, re-dialled forever with
 * jittered backoff (every deploy drops every socket), kept honest with application pings that the
 * Worker's hub answers without waking up. Frames are validated on the way in. A protocol version the
 * Worker cannot speak (handshake.ts) stops it for good instead.
 */
import { PROTOCOL_VERSION, encodeFrame, parseWorkerFrame, type SidecarFrame, type WorkerFrame } from "@hearth/shared";
import WebSocket from "ws";
import type { Logger } from "../log.js";
import { DEFAULT_BACKOFF, reconnectDelay, type BackoffOptions } from "./backoff.js";
import { handshakeHeaders, mismatchOfClose, mismatchOfResponse, mismatchOfWelcome, type ProtocolMismatch } from "./handshake.js";

export interface TunnelOptions {
  /** ws(s)://…/v1/sidecar/connect */
  url: string;
  token: string;
  log: Logger;
  /** A validated frame from the Worker. */
  onFrame(frame: WorkerFrame): void;
  /** The socket closed (requests on it are lost to the Worker, which has already failed them over). */
  onDisconnect?(): void;
  /** Default: 500 ms doubling to 30 s. */
  backoff?: BackoffOptions;
  /** Application ping interval; a missing pong by the next one drops the connection. Default: 10,000 ms. */
  pingMs?: number;
  /** A connection that lasted this long resets the backoff. Default: 30,000 ms. */
  stableMs?: number;
  /** The tunnel protocol version this sidecar speaks, named at the upgrade. Default: PROTOCOL_VERSION. */
  protocol?: number;
  /** This sidecar's package version, named at the upgrade for the Worker's messages. Default: "unknown". */
  version?: string;
  /**
   * The Worker cannot speak this sidecar's protocol version (or the reverse). The client has stopped
   * for good when this is called: re-dialling cannot fix it. Default: log it as an error.
   */
  onMismatch?(mismatch: ProtocolMismatch): void;
  /** Observes the connection: each dial, each open, each close. Default: none. */
  onConnection?(event: "dial" | "open" | "close"): void;
}

/** The id of a `request` frame that failed validation, if the text says that much. */
export function requestIdOf(text: string): string | undefined {
  try {
    const v = JSON.parse(text) as { t?: unknown; id?: unknown };
    return v.t === "request" && typeof v.id === "string" && v.id.length > 0 && v.id.length <= 64 ? v.id : undefined;
  } catch {
    return undefined;
  }
}

export class TunnelClient {
  readonly #opts: TunnelOptions;
  #ws: WebSocket | undefined;
  #attempt = 0;
  #stopped = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #awaitingPong = false;

  constructor(opts: TunnelOptions) {
    this.#opts = opts;
  }

  get connected(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.#stopped = false;
    this.#dial();
  }

  /** Sends a frame if connected; returns whether it was sent. */
  send(frame: SidecarFrame): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(encodeFrame(frame));
    return true;
  }

  /** Bytes queued on the socket, for callers that coalesce more when the link is slow. */
  get bufferedAmount(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }

  /** Closes for good (no reconnect) and resolves once the socket is closed. */
  async close(code = 1000, reason = "sidecar shutting down"): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#pingTimer);
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2_000);
      ws.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(code, reason);
    });
  }

  #dial(): void {
    const { url, token, log } = this.#opts;
    // No permessage-deflate: frames are small JSON, and with it on, every frame sent while a larger one
    // (a state frame) is being compressed on zlib's thread pool waits behind it.
    const protocol = this.#protocol;
    const headers = { authorization: `Bearer ${token}`, ...handshakeHeaders(protocol, this.#opts.version ?? "unknown") };
    const ws = new WebSocket(url, { headers, handshakeTimeout: 10_000, perMessageDeflate: false });
    this.#opts.onConnection?.("dial");
    this.#ws = ws;
    let openedAt = 0;
    ws.on("open", () => {
      openedAt = Date.now();
      log.info("tunnel connected", { url: redact(url) });
      this.#opts.onConnection?.("open");
      this.#startPings(ws);
    });
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      if (text === "pong") {
        this.#awaitingPong = false;
        return;
      }
      const parsed = parseWorkerFrame(text);
      if (!parsed.ok) {
        log.warn("invalid frame from the Worker", { error: parsed.error });
        // A request this sidecar cannot read (a newer Worker's field, say) is refused at once, not
        // dropped: the Worker would otherwise wait out its deadline for an answer that never comes.
        const id = requestIdOf(text);
        if (id) this.send({ t: "error", id, seq: 0, code: "invalid_request", message: `the sidecar cannot read this request: ${parsed.error}` });
        return;
      }
      if (parsed.frame.t === "welcome") {
        const mismatch = mismatchOfWelcome(parsed.frame, { protocol, version: this.#opts.version ?? "unknown" });
        // Said before hello, so the Worker never sees a frame it cannot read.
        if (mismatch) return this.#mismatch(ws, mismatch);
      }
      this.#opts.onFrame(parsed.frame);
    });
    ws.on("unexpected-response", (_req, res) => {
      const status = res.statusCode ?? 0;
      if (status === 426) {
        // The Worker says why in the body; read it before deciding whether to dial again.
        let body = "";
        res.on("data", (d: Buffer) => {
          if (body.length < 4096) body += d.toString();
        });
        res.on("end", () => {
          const mismatch = mismatchOfResponse(status, body);
          if (mismatch) this.#mismatch(ws, mismatch);
          else {
            log.warn("tunnel refused", { status });
            ws.terminate();
          }
        });
        return;
      }
      if (status === 401) log.error("the Worker refused the sidecar token (401): check --token, or issue a new one");
      else log.warn("tunnel refused", { status });
      ws.terminate();
    });
    ws.on("error", (err) => log.debug("tunnel error", { error: err.message }));
    ws.on("close", (code, reason) => {
      clearInterval(this.#pingTimer);
      if (this.#ws === ws) this.#ws = undefined;
      this.#opts.onDisconnect?.();
      this.#opts.onConnection?.("close");
      if (this.#stopped) return;
      const mismatch = mismatchOfClose(code, reason.toString(), protocol);
      if (mismatch) return this.#mismatch(ws, mismatch);
      if (openedAt && Date.now() - openedAt >= (this.#opts.stableMs ?? 30_000)) this.#attempt = 0;
      const delay = reconnectDelay(this.#attempt++, this.#opts.backoff ?? DEFAULT_BACKOFF);
      if (openedAt) log.warn("tunnel closed; reconnecting", { code, reason: reason.toString() || undefined, inMs: delay });
      else log.info("tunnel unreachable; retrying", { inMs: delay });
      this.#retryTimer = setTimeout(() => this.#dial(), delay);
    });
  }

  get #protocol(): number {
    return this.#opts.protocol ?? PROTOCOL_VERSION;
  }

  /** Stops for good and tells the owner: a version mismatch is not fixed by dialling again. */
  #mismatch(ws: WebSocket, mismatch: ProtocolMismatch): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#pingTimer);
    if (ws.readyState === WebSocket.OPEN) ws.close(1000, "protocol version mismatch");
    else ws.terminate();
    if (this.#opts.onMismatch) this.#opts.onMismatch(mismatch);
    else this.#opts.log.error(mismatch.message);
  }

  #startPings(ws: WebSocket): void {
    this.#awaitingPong = false;
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => {
      if (this.#awaitingPong) {
        this.#opts.log.warn("no pong from the Worker; reconnecting");
        ws.terminate();
        return;
      }
      this.#awaitingPong = true;
      ws.send("ping");
    }, this.#opts.pingMs ?? 10_000);
  }
}

/** URLs never carry secrets here, but keep logs free of query strings anyway. */
function redact(url: string): string {
  const u = new URL(url);
  u.search = "";
  return u.toString();
}

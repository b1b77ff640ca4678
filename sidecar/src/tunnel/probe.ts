/**
 * One dial of the tunnel, to prove a URL and token work (`init`, `doctor`): open the WebSocket, wait
 * for the Worker's welcome, close. It never says hello, so it never stands in for — or replaces — a
 * sidecar that is already connected with the same id.
 */
import { parseWorkerFrame, type WorkerFrame } from "@hearth/shared";
import WebSocket from "ws";
import { SIDECAR_VERSION } from "../version.js";
import { handshakeHeaders, sidecarProtocol } from "./handshake.js";

/** The upgrade headers that name this sidecar's protocol and version, as the tunnel client sends them. */
export function protocolHeaders(): Record<string, string> {
  return handshakeHeaders(sidecarProtocol(), SIDECAR_VERSION);
}

export type Welcome = Extract<WorkerFrame, { t: "welcome" }>;

export type ProbeFailure =
  /** 401: the token is unknown, revoked, or not a sidecar token. */
  | "unauthorized"
  /** Another HTTP answer to the upgrade (e.g. 426 for a protocol the Worker cannot serve). */
  | "refused"
  /** No connection at all: DNS, TCP, TLS. */
  | "unreachable"
  /** Connected, then closed before a welcome. */
  | "closed"
  | "timeout";

export type ProbeResult =
  | { ok: true; welcome: Welcome; ms: number }
  | { ok: false; failure: ProbeFailure; status?: number; message: string };

export interface ProbeOptions {
  /** ws(s)://…/v1/sidecar/connect */
  url: string;
  token: string;
  /** Extra upgrade headers (the protocol version the sidecar speaks). Default: none. */
  headers?: Record<string, string>;
  /** Default: 10,000 ms. */
  timeoutMs?: number;
}

/** The message of an OpenAI-shaped error body, else the body's start. */
function messageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === "string") return parsed.error.message;
  } catch {
    // not JSON
  }
  return body.slice(0, 200);
}

export function probeTunnel(opts: ProbeOptions): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const ws = new WebSocket(opts.url, { headers: { authorization: `Bearer ${opts.token}`, ...opts.headers }, handshakeTimeout: opts.timeoutMs ?? 10_000, perMessageDeflate: false });
    let settled = false;
    const done = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, "probe done");
      else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, failure: "timeout", message: `no welcome from the Worker within ${opts.timeoutMs ?? 10_000} ms` }), opts.timeoutMs ?? 10_000);
    ws.on("unexpected-response", (req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        done({ ok: false, failure: status === 401 ? "unauthorized" : "refused", status, message: messageOf(body) || `HTTP ${status}` });
        req.destroy();
      });
    });
    ws.on("error", (err) => done({ ok: false, failure: "unreachable", message: err.message }));
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const parsed = parseWorkerFrame(data.toString());
      if (parsed.ok && parsed.frame.t === "welcome") done({ ok: true, welcome: parsed.frame, ms: Math.round(performance.now() - started) });
    });
    ws.on("close", (code, reason) => done({ ok: false, failure: "closed", status: code, message: reason.toString() || `closed with code ${code} before a welcome` }));
  });
}

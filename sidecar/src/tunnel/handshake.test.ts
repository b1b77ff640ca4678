/**
 * The sidecar's half of the version handshake: reading the Worker's three ways of saying "not this
 * version", and the tunnel client stopping for good on each — no hello sent, no re-dial — against
 * in-process servers that answer as a current Worker and as one too old to read the header.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { UPGRADE_HOW, type WorkerFrame } from "@hearth/shared";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { silentLogger } from "../log.js";
import { TunnelClient } from "./client.js";
import { mismatchOfClose, mismatchOfResponse, mismatchOfWelcome, PROTOCOL_OVERRIDE_ENV, sidecarProtocol, type ProtocolMismatch } from "./handshake.js";

const welcome = (extra: Partial<Extract<WorkerFrame, { t: "welcome" }>> = {}) => ({ t: "welcome" as const, v: 1, heartbeatMs: 15_000, ...extra });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("reading the Worker's answer", () => {
  it("a 426 sidecar_protocol_mismatch body is a mismatch with the Worker's message; other refusals are not", () => {
    const body = JSON.stringify({ error: { code: "sidecar_protocol_mismatch", message: "this Worker speaks tunnel protocol 2; this sidecar (0.1.0) speaks protocol 1: upgrade the sidecar (x)" } });
    expect(mismatchOfResponse(426, body)).toEqual({ upgrade: "sidecar", message: "this Worker speaks tunnel protocol 2; this sidecar (0.1.0) speaks protocol 1: upgrade the sidecar (x)" });
    expect(mismatchOfResponse(426, JSON.stringify({ error: { code: "invalid_request", message: "take a WebSocket" } }))).toBeUndefined();
    expect(mismatchOfResponse(401, body)).toBeUndefined();
    expect(mismatchOfResponse(426, "<html>")).toBeUndefined();
  });

  it("a welcome whose range leaves this sidecar out; an older Worker's welcome names only v", () => {
    expect(mismatchOfWelcome(welcome({ min: 1, max: 2 }), { protocol: 2, version: "x" })).toBeUndefined();
    expect(mismatchOfWelcome(welcome(), { protocol: 2, version: "0.3.0" })).toEqual({
      upgrade: "worker",
      message: `this Worker speaks tunnel protocol 1; this sidecar (0.3.0) speaks protocol 2: upgrade the Worker (${UPGRADE_HOW.worker})`,
    });
    expect(mismatchOfWelcome(welcome({ v: 3, min: 2, max: 3, version: "0.9.0" }), { protocol: 1, version: "0.1.0" })).toMatchObject({ upgrade: "sidecar" });
  });

  it("close 4002 is a mismatch whatever the reason; other closes are not", () => {
    expect(mismatchOfClose(4002, "upgrade the sidecar: Worker speaks protocol 2, sidecar 1", 1)).toEqual({
      upgrade: "sidecar",
      message: `the Worker refused this sidecar's tunnel protocol 1: upgrade the sidecar: Worker speaks protocol 2, sidecar 1 (${UPGRADE_HOW.sidecar})`,
    });
    // Workers before the handshake closed with this reason.
    expect(mismatchOfClose(4002, "unsupported protocol version 2", 2)?.message).toMatch(/unsupported protocol version 2.*upgrade whichever of the two is older/);
    expect(mismatchOfClose(1006, "", 1)).toBeUndefined();
    expect(mismatchOfClose(4000, "replaced", 1)).toBeUndefined();
  });

  it("the protocol override is for tests: only a whole number counts", () => {
    expect(sidecarProtocol({})).toBe(1);
    expect(sidecarProtocol({ [PROTOCOL_OVERRIDE_ENV]: "7" })).toBe(7);
    expect(sidecarProtocol({ [PROTOCOL_OVERRIDE_ENV]: "seven" })).toBe(1);
  });
});

describe("the tunnel client on a mismatch", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    server = undefined;
  });

  /** A Worker stand-in: `onUpgrade` answers each upgrade request; returns its ws:// URL and the requests it saw. */
  async function worker(onUpgrade: (req: IncomingMessage, wss: WebSocketServer, socket: import("node:stream").Duplex, head: Buffer) => void) {
    const wss = new WebSocketServer({ noServer: true });
    const seen: IncomingMessage[] = [];
    server = createServer();
    server.on("upgrade", (req, socket, head) => {
      seen.push(req);
      onUpgrade(req, wss, socket, head);
    });
    await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
    return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/sidecar/connect`, seen };
  }

  function client(url: string, protocol: number) {
    const got: { mismatch?: ProtocolMismatch; frames: WorkerFrame[] } = { frames: [] };
    let resolve: () => void = () => {};
    const done = new Promise<void>((r) => (resolve = r));
    const c = new TunnelClient({
      url,
      token: "hs_test_token",
      log: silentLogger,
      protocol,
      version: "9.9.9",
      backoff: { baseMs: 10, maxMs: 20 },
      onFrame: (f) => got.frames.push(f),
      onMismatch: (m) => {
        got.mismatch = m;
        resolve();
      },
    });
    c.start();
    return { c, got, done };
  }

  it("names its protocol and version at the upgrade; a 426 from the Worker stops it with the Worker's message", async () => {
    const message = "this Worker (Hearth 0.5.0) speaks tunnel protocol 3; this sidecar (9.9.9) speaks protocol 2: upgrade the sidecar (npm i -g the hearth-sidecar tarball from `pnpm --filter @hearth/sidecar package` in the checkout you deploy)";
    const w = await worker((_req, _wss, socket) => {
      const body = JSON.stringify({ error: { message, type: "invalid_request_error", param: "x-hearth-protocol", code: "sidecar_protocol_mismatch", hearth: true } });
      socket.end(`HTTP/1.1 426 Upgrade Required\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
    const { got, done } = client(w.url, 2);
    await done;
    await sleep(100);
    expect(got.mismatch).toEqual({ upgrade: "sidecar", message });
    expect(w.seen).toHaveLength(1);
    expect(w.seen[0]?.headers["x-hearth-protocol"]).toBe("2");
    expect(w.seen[0]?.headers["x-hearth-sidecar-version"]).toBe("9.9.9");
  });

  it("a Worker too old to read the header: its welcome is enough to stop, before hello", async () => {
    const received: string[] = [];
    const w = await worker((req, wss, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on("message", (d) => received.push(d.toString()));
        ws.send(JSON.stringify(welcome()));
      }),
    );
    const { got, done } = client(w.url, 2);
    await done;
    await sleep(100);
    expect(got.mismatch).toMatchObject({ upgrade: "worker" });
    expect(got.mismatch?.message).toContain(`upgrade the Worker (${UPGRADE_HOW.worker})`);
    expect(got.frames).toEqual([]);
    expect(received.filter((m) => m !== "ping")).toEqual([]);
    expect(w.seen).toHaveLength(1);
  });

  it("close 4002 after hello stops it for good; an ordinary close is re-dialled", async () => {
    let dials = 0;
    const w = await worker((req, wss, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        dials++;
        ws.send(JSON.stringify(welcome()));
        // First connection: an ordinary close (a deploy). Second: the version refused.
        setTimeout(() => ws.close(dials === 1 ? 1012 : 4002, dials === 1 ? "restart" : "upgrade the sidecar: Worker speaks protocol 1, sidecar 1"), 20);
      }),
    );
    const { got, done } = client(w.url, 1);
    await done;
    await sleep(150);
    expect(w.seen).toHaveLength(2);
    expect(got.mismatch?.upgrade).toBe("sidecar");
    expect(got.frames.filter((f) => f.t === "welcome")).toHaveLength(2);
  });
});

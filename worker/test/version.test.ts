/**
 * The version handshake inside workerd: GET /healthz names the Worker's version and protocol range;
 * the connect route refuses a sidecar that names an incompatible protocol with 426 and a message
 * naming what to upgrade, before any frame; a sidecar too old to send the header is let in and, if its
 * hello names a version this Worker cannot speak, closed with a reason that says what to upgrade.
 */
import { PROTOCOL_VERSION, UPGRADE_HOW, WORKER_PROTOCOL, type WorkerFrame } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import pkg from "../package.json";
import { call, newUser, type ErrorJson } from "./helpers.js";

const upgrade = (token: string, headers: Record<string, string> = {}) =>
  call("/v1/sidecar/connect", { headers: { upgrade: "websocket", authorization: `Bearer ${token}`, ...headers } });

const state = { models: [], slots: { total: 1, free: 1 }, queue: { depth: 0, max: 0 }, loading: [], freeMemoryBytes: 1, draining: false };

describe("GET /healthz", () => {
  it("says the Worker's version and the protocol versions it serves, without auth", async () => {
    const r = await call("/healthz");
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ok: true, version: pkg.version, protocol: { min: WORKER_PROTOCOL.min, max: WORKER_PROTOCOL.max } });
  });
});

describe("the sidecar's protocol at the upgrade", () => {
  it("refuses a newer sidecar with 426: upgrade the Worker", async () => {
    const u = await newUser();
    const r = await upgrade(u.sidecarToken, { "x-hearth-protocol": String(WORKER_PROTOCOL.max + 1), "x-hearth-sidecar-version": "9.9.9" });
    expect(r.status).toBe(426);
    expect(r.webSocket).toBeNull();
    const body = (await r.json()) as ErrorJson;
    expect(body.error.code).toBe("sidecar_protocol_mismatch");
    expect(body.error.param).toBe("x-hearth-protocol");
    expect(body.error.message).toContain(`this sidecar (9.9.9) speaks protocol ${WORKER_PROTOCOL.max + 1}`);
    expect(body.error.message).toContain(`upgrade the Worker (${UPGRADE_HOW.worker})`);
  });

  it("refuses an older sidecar with 426: upgrade the sidecar", async () => {
    const u = await newUser();
    const r = await upgrade(u.sidecarToken, { "x-hearth-protocol": String(WORKER_PROTOCOL.min - 1) });
    expect(r.status).toBe(426);
    const body = (await r.json()) as ErrorJson;
    expect(body.error.code).toBe("sidecar_protocol_mismatch");
    expect(body.error.message).toContain(`upgrade the sidecar (${UPGRADE_HOW.sidecar})`);
  });

  it("checks the token first: a bad token is 401 whatever the version", async () => {
    expect((await upgrade("hs_nope", { "x-hearth-protocol": "999" })).status).toBe(401);
  });

  it("refuses a header that is not a version with 400 naming it", async () => {
    const u = await newUser();
    const r = await upgrade(u.sidecarToken, { "x-hearth-protocol": "one" });
    expect(r.status).toBe(400);
    expect(((await r.json()) as ErrorJson).error.param).toBe("x-hearth-protocol");
  });

  it("opens for a compatible sidecar, whose welcome names the Worker's range and version", async () => {
    const u = await newUser();
    const r = await upgrade(u.sidecarToken, { "x-hearth-protocol": String(PROTOCOL_VERSION) });
    expect(r.status).toBe(101);
    const ws = r.webSocket;
    if (!ws) throw new Error("no webSocket on the 101");
    const first = new Promise<WorkerFrame>((resolve) => ws.addEventListener("message", (e) => resolve(JSON.parse(String(e.data)) as WorkerFrame), { once: true }));
    ws.accept();
    expect(await first).toMatchObject({ t: "welcome", v: PROTOCOL_VERSION, min: WORKER_PROTOCOL.min, max: WORKER_PROTOCOL.max, version: pkg.version });
    ws.close(1000);
  });
});

describe("a sidecar that names its version only in hello (older than the header)", () => {
  async function helloWith(v: number): Promise<{ code: number; reason: string } | "open"> {
    const u = await newUser();
    const r = await upgrade(u.sidecarToken);
    expect(r.status).toBe(101);
    const ws = r.webSocket;
    if (!ws) throw new Error("no webSocket on the 101");
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })));
    ws.accept();
    ws.send(JSON.stringify({ t: "hello", v, sidecarId: "old", state }));
    const outcome = await Promise.race([closed, new Promise<"open">((r) => setTimeout(() => r("open"), 300))]);
    if (outcome === "open") ws.close(1000);
    return outcome;
  }

  it("is closed with 4002 and a reason naming what to upgrade", async () => {
    expect(await helloWith(WORKER_PROTOCOL.min - 1)).toEqual({ code: 4002, reason: `upgrade the sidecar: Worker speaks protocol ${WORKER_PROTOCOL.max}, sidecar ${WORKER_PROTOCOL.min - 1}` });
    expect(await helloWith(WORKER_PROTOCOL.max + 1)).toMatchObject({ code: 4002, reason: expect.stringMatching(/^upgrade the worker: /) });
  });

  it("is served when its version is one the Worker speaks (today's sidecars)", async () => {
    expect(await helloWith(PROTOCOL_VERSION)).toBe("open");
  });
});

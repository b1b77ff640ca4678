/**
 * The version handshake end to end: real `wrangler dev`, and the real sidecar CLI made to claim an
 * older or a newer tunnel protocol (HEARTH_SIDECAR_PROTOCOL_OVERRIDE, for tests only). Each must print
 * one message naming what to upgrade and how, exit 76 at once — no re-dialling, no frame errors on
 * either side — and never appear as connected. A sidecar older than the header (it names its version
 * only in hello; played here by a bare WebSocket) gets a close reason that says what to upgrade.
 * GET /healthz tells anyone the Worker's version and protocol range.
 */
import { UPGRADE_HOW, WORKER_PROTOCOL, type WorkerFrame } from "@hearth/shared";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startSidecar } from "../support/sidecar.js";
import { stopSidecar } from "../support/sidecars.js";
import { startWorker, type RunningWorker } from "../support/wrangler.js";

let worker: RunningWorker;
let ollama: FakeOllama;
let user: Awaited<ReturnType<RunningWorker["createUser"]>>;

beforeAll(async () => {
  [worker, ollama] = await Promise.all([startWorker(), startFakeOllama()]);
  user = await worker.createUser("versions");
});

afterAll(async () => {
  await Promise.all([worker?.stop(), ollama?.close()]);
});

async function connectedSidecars(): Promise<number> {
  const r = await fetch(`${worker.url}/v1/home`, { headers: { authorization: `Bearer ${user.apiKey}` } });
  if (r.status !== 200) throw new Error(`GET /v1/home: ${r.status}`);
  return ((await r.json()) as { sidecars: unknown[] }).sidecars.length;
}

/** Runs the sidecar claiming `protocol`; resolves with its exit code, output and how long it ran. */
async function runClaiming(protocol: number) {
  const started = Date.now();
  const s = await startSidecar({
    workerUrl: worker.url,
    token: user.sidecarToken,
    apiKey: user.apiKey,
    ollama: ollama.url,
    expectModels: 0,
    env: { HEARTH_SIDECAR_PROTOCOL_OVERRIDE: String(protocol) },
  });
  const exited = new Promise<number | null>((r) => (s.child.exitCode !== null ? r(s.child.exitCode) : s.child.once("exit", (code) => r(code))));
  const code = await Promise.race([exited, new Promise<"running">((r) => setTimeout(() => r("running"), 20_000))]);
  const ms = Date.now() - started;
  if (code === "running") await stopSidecar(s, 1_000);
  return { code, output: s.output(), ms };
}

describe("GET /healthz", () => {
  it("names the Worker's version and protocol range", async () => {
    const r = await fetch(`${worker.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ok: true, version: expect.stringMatching(/^\d+\.\d+\.\d+/), protocol: { min: WORKER_PROTOCOL.min, max: WORKER_PROTOCOL.max } });
  });
});

describe("a sidecar the Worker cannot speak with", () => {
  it("older: says to upgrade the sidecar, how, and exits 76 at once", async () => {
    const { code, output, ms } = await runClaiming(WORKER_PROTOCOL.min - 1);
    expect(code).toBe(76);
    expect(output).toContain(`this sidecar (dev) speaks protocol ${WORKER_PROTOCOL.min - 1}: upgrade the sidecar (${UPGRADE_HOW.sidecar})`);
    expect(ms).toBeLessThan(15_000);
    expect(output).not.toMatch(/invalid frame|reconnecting|retrying|tunnel connected/);
    expect(output.match(/upgrade the sidecar/g)).toHaveLength(1);
  });

  it("newer: says to upgrade the Worker, how, and exits 76 at once", async () => {
    const { code, output } = await runClaiming(WORKER_PROTOCOL.max + 1);
    expect(code).toBe(76);
    expect(output).toContain(`speaks protocol ${WORKER_PROTOCOL.max + 1}: upgrade the Worker (${UPGRADE_HOW.worker})`);
    expect(output).not.toMatch(/invalid frame|reconnecting|retrying|tunnel connected/);
  });

  it("never showed as connected, and the Worker logged no frame errors", async () => {
    expect(await connectedSidecars()).toBe(0);
    expect(worker.output()).not.toMatch(/invalid frame/);
  });
});

describe("a sidecar older than the header (its version only in hello)", () => {
  it("is closed with 4002 and a reason that says what to upgrade", async () => {
    const ws = new WebSocket(`${worker.url.replace(/^http/, "ws")}/v1/sidecar/connect`, { headers: { authorization: `Bearer ${user.sidecarToken}` } });
    const welcome = await new Promise<WorkerFrame>((resolve, reject) => {
      ws.once("message", (d) => resolve(JSON.parse(d.toString()) as WorkerFrame));
      ws.once("error", reject);
    });
    expect(welcome).toMatchObject({ t: "welcome", v: WORKER_PROTOCOL.max, min: WORKER_PROTOCOL.min, max: WORKER_PROTOCOL.max });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once("close", (code, reason) => r({ code, reason: reason.toString() })));
    const state = { models: [], slots: { total: 1, free: 1 }, queue: { depth: 0, max: 0 }, loading: [], freeMemoryBytes: 1, draining: false };
    ws.send(JSON.stringify({ t: "hello", v: WORKER_PROTOCOL.min - 1, sidecarId: "old", state }));
    expect(await closed).toEqual({ code: 4002, reason: `upgrade the sidecar: Worker speaks protocol ${WORKER_PROTOCOL.max}, sidecar ${WORKER_PROTOCOL.min - 1}` });
  });
});

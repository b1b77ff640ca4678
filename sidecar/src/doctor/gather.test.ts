import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { clockCheck } from "./checks.js";
import { workerHealth } from "./gather.js";

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A /healthz whose Date header is `offsetMs` away from this clock. */
function serve(offsetMs: number): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", date: new Date(Date.now() + offsetMs).toUTCString() });
    res.end(JSON.stringify({ ok: true, version: "9.9.9", protocol: { min: 1, max: 1 } }));
  });
  return new Promise((resolve) => server?.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server?.address() as { port: number }).port}`)));
}

describe("the Worker's health and clock", () => {
  it("reads the body and measures the skew from the Date header", async () => {
    const url = await serve(-120_000);
    const { facts, skewMs } = await workerHealth(`${url}/`, 2_000);
    expect(facts).toMatchObject({ ok: true, status: 200, body: { version: "9.9.9" }, url });
    expect(skewMs).toBeGreaterThan(119_000);
    // The Date header has whole seconds: up to 1 s more, plus the round trip.
    expect(skewMs).toBeLessThan(122_000);
    expect(clockCheck(skewMs)).toMatchObject({ status: "warn", detail: expect.stringMatching(/^12\d s ahead of the Worker's/) });
  });

  it("a clock in step is ok", async () => {
    const { skewMs } = await workerHealth(await serve(0), 2_000);
    expect(Math.abs(skewMs ?? Infinity)).toBeLessThan(1_000);
    expect(clockCheck(skewMs).status).toBe("ok");
  });

  it("no server: the error code, not a stack", async () => {
    const url = await serve(0);
    await new Promise((r) => server?.close(r));
    server = undefined;
    const { facts } = await workerHealth(url, 2_000);
    expect(facts).toEqual({ ok: false, url, error: "ECONNREFUSED" });
  });
});

import { describe, expect, it } from "vitest";
import { silentLogger } from "../log.js";
import { resolveConfig } from "../config.js";
import { SidecarMetrics } from "./registry.js";
import { isLoopback, MetricsAddressError, parseListen, serveMetrics } from "./server.js";

describe("parseListen", () => {
  it("takes HOST:PORT, [IPv6]:PORT, or a bare port on 127.0.0.1", () => {
    expect(parseListen("127.0.0.1:9477")).toEqual({ host: "127.0.0.1", port: 9477 });
    expect(parseListen("[::1]:9477")).toEqual({ host: "::1", port: 9477 });
    expect(parseListen("localhost:80")).toEqual({ host: "localhost", port: 80 });
    expect(parseListen("9477")).toEqual({ host: "127.0.0.1", port: 9477 });
  });

  it("refuses what is not an address", () => {
    for (const bad of ["", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", ":9477", "http://127.0.0.1:9477", "::1:9477"]) {
      expect(() => parseListen(bad), bad).toThrow(MetricsAddressError);
    }
  });

  it("refuses an address other machines can reach unless allowed, and says why", () => {
    for (const host of ["0.0.0.0:9477", "192.168.1.5:9477", "[::]:9477", "myhost.lan:9477"]) {
      expect(() => parseListen(host), host).toThrow(/no authentication/);
      expect(parseListen(host, true).port).toBe(9477);
    }
  });

  it("knows loopback addresses", () => {
    expect(["127.0.0.1", "127.1.2.3", "::1", "localhost", "LOCALHOST", "::ffff:127.0.0.1"].every(isLoopback)).toBe(true);
    expect(["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "example.com"].some(isLoopback)).toBe(false);
  });
});

describe("the settings", () => {
  const base = { url: "https://h.example", token: "hs_12345678", ollama: "http://127.0.0.1:11434" };

  it("take metrics from the config file and the env, and refuse a public address there too", () => {
    expect(resolveConfig({ file: { ...base, metrics: "127.0.0.1:9477" }, env: {}, flags: {} }).metrics).toBe("127.0.0.1:9477");
    expect(() => resolveConfig({ file: base, env: { metrics: "0.0.0.0:9477" }, flags: {} })).toThrow(/no authentication/);
    expect(resolveConfig({ file: { ...base, metricsAllowRemote: true }, env: { metrics: "0.0.0.0:9477" }, flags: {} }).metrics).toBe("0.0.0.0:9477");
    expect(resolveConfig({ file: base, env: {}, flags: {} }).metrics).toBeUndefined();
  });
});

describe("serveMetrics", () => {
  it("serves the registry at /metrics in Prometheus text format, 404 elsewhere, and stops on dispose", async () => {
    const metrics = new SidecarMetrics({ version: "t", protocol: 1, slots: 1, queue: 0, processMetrics: false });
    metrics.request({ model: "m", backend: "ollama", outcome: "ok" });
    const endpoint = await serveMetrics(metrics, { host: "127.0.0.1", port: 0 }, silentLogger);
    try {
      const r = await fetch(endpoint.url);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await r.text()).toContain('hearth_sidecar_requests_total{model="m",backend="ollama",outcome="ok"} 1\n');
      expect((await fetch(endpoint.url.replace("/metrics", "/"))).status).toBe(404);
      expect((await fetch(endpoint.url, { method: "POST" })).status).toBe(405);
    } finally {
      await endpoint.dispose();
    }
    await expect(fetch(endpoint.url)).rejects.toThrow();
    await endpoint.dispose();
  });

  it("rejects when the port is taken", async () => {
    const metrics = new SidecarMetrics({ version: "t", protocol: 1, slots: 1, queue: 0, processMetrics: false });
    const first = await serveMetrics(metrics, { host: "127.0.0.1", port: 0 }, silentLogger);
    try {
      const port = Number(new URL(first.url).port);
      await expect(serveMetrics(metrics, { host: "127.0.0.1", port }, silentLogger)).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.dispose();
    }
  });
});

/**
 * `--metrics 127.0.0.1:PORT`: GET /metrics in Prometheus' text format, on loopback unless the user
 * explicitly allows another address. The endpoint has no authentication, and what it shows — which
 * models this machine has, when it is busy, its token counts — is nobody else's business; an address
 * reachable from the network would also hand anyone on it a page to hammer. Scraping from another
 * machine is a deliberate choice (metricsAllowRemote), best behind a firewall rule.
 */
import { createServer, type Server } from "node:http";
import { isIP } from "node:net";
import type { Logger } from "../log.js";
import type { SidecarMetrics } from "./registry.js";

export interface ListenAddress {
  host: string;
  port: number;
}

export class MetricsAddressError extends Error {
  readonly code = "invalid_metrics_address";
  constructor(message: string) {
    super(message);
    this.name = "MetricsAddressError";
  }
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return h === "::1" || h === "0:0:0:0:0:0:0:1" || h.startsWith("::ffff:127.");
}

/**
 * "127.0.0.1:9477", "[::1]:9477", "localhost:9477" or a bare port (loopback). Throws
 * MetricsAddressError for anything else, and for a non-loopback host unless `allowRemote`.
 */
export function parseListen(value: string, allowRemote = false): ListenAddress {
  const v = value.trim();
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(v) ?? (/^\d{1,5}$/.test(v) ? [v, undefined, "127.0.0.1", v] : null);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || !host || !(port >= 1 && port <= 65535)) {
    throw new MetricsAddressError(`'metrics' must be HOST:PORT or a port, e.g. 127.0.0.1:9477; got '${value}'`);
  }
  if (!isLoopback(host) && !allowRemote) {
    throw new MetricsAddressError(
      `'metrics' would listen on ${host}, reachable from other machines; /metrics has no authentication and shows your models and usage. ` +
        "Use 127.0.0.1:PORT, or set metricsAllowRemote: true (env HEARTH_METRICS_ALLOW_REMOTE=1) if you mean it.",
    );
  }
  return { host, port };
}

export interface MetricsEndpoint {
  /** http://host:port/metrics, as bound (the port is the real one when 0 was asked for). */
  readonly url: string;
  /** Stops listening and closes open connections. Idempotent. */
  dispose(): Promise<void>;
}

/** Serves `metrics` at GET /metrics on `address`; resolves once listening, rejects if the address cannot be bound. */
export async function serveMetrics(metrics: SidecarMetrics, address: ListenAddress, log: Logger): Promise<MetricsEndpoint> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: metrics are at /metrics\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("GET /metrics\n");
      return;
    }
    metrics.exposition().then(
      ({ text, contentType }) => res.writeHead(200, { "content-type": contentType }).end(req.method === "HEAD" ? undefined : text),
      (err: unknown) => {
        log.warn("metrics: collecting failed", { error: err instanceof Error ? err.message : String(err) });
        res.writeHead(500, { "content-type": "text/plain" }).end("collecting metrics failed\n");
      },
    );
  });
  // Scrapes are tiny and periodic: nothing should hold the process open or wait on a slow client.
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === "object" && bound ? bound.port : address.port;
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  const url = `http://${host}:${port}/metrics`;
  log.info("metrics served", { url });
  let closing: Promise<void> | undefined;
  return {
    url,
    dispose() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * Local Prometheus metrics (`--metrics 127.0.0.1:PORT`): the registry (registry.ts) and its HTTP
 * endpoint (server.ts), started together and stopped together with the sidecar.
 */
import type { Logger } from "../log.js";
import { sidecarProtocol } from "../tunnel/handshake.js";
import { SIDECAR_VERSION } from "../version.js";
import { SidecarMetrics, type MetricsSink } from "./registry.js";
import { parseListen, serveMetrics } from "./server.js";

export { NO_METRICS, SidecarMetrics, type MetricsSink } from "./registry.js";

export interface Metrics {
  readonly sink: MetricsSink;
  /** Where they are served. */
  readonly url: string;
  /** Stops serving. Idempotent. */
  dispose(): Promise<void>;
}

export interface StartMetricsOptions {
  /** HOST:PORT or a port (config key `metrics`). */
  listen: string;
  /** Config key `metricsAllowRemote`. Default: false. */
  allowRemote?: boolean;
  slots: number;
  queue: number;
  log: Logger;
}

/** Builds the registry and serves it; rejects when the address is not allowed or cannot be bound. */
export async function startMetrics(opts: StartMetricsOptions): Promise<Metrics> {
  const address = parseListen(opts.listen, opts.allowRemote);
  const sink = new SidecarMetrics({ version: SIDECAR_VERSION, protocol: sidecarProtocol(), slots: opts.slots, queue: opts.queue });
  const endpoint = await serveMetrics(sink, address, opts.log);
  return { sink, url: endpoint.url, dispose: () => endpoint.dispose() };
}

/**
 * The CLI's way in: metrics when the settings ask for them, else undefined. An address that cannot be
 * bound (in use, not this machine's) is a setting to fix: it says so and exits 2, like any bad setting.
 */
export async function metricsFromSettings(cfg: { metrics?: string | undefined; metricsAllowRemote?: boolean; slots: number; queue: number }, log: Logger): Promise<Metrics | undefined> {
  if (cfg.metrics === undefined) return undefined;
  try {
    return await startMetrics({ listen: cfg.metrics, allowRemote: cfg.metricsAllowRemote ?? false, slots: cfg.slots, queue: cfg.queue, log });
  } catch (err) {
    process.stderr.write(`hearth sidecar: cannot serve metrics on ${cfg.metrics}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}

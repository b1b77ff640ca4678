/**
 * `pnpm sidecar --url <worker URL> --token <sidecar token> --models <dir or .gguf> [--ollama <url>]`
 *
 * Dials out to the Worker and serves the user's requests on local models until stopped. SIGINT or
 * SIGTERM drains (finishes running requests, up to --drain-seconds); signals repeated within a moment
 * are the same request (signals.ts says why), a later one stops at once.
 */
import { defineCommand } from "citty";
import { createHash } from "node:crypto";
import { constants, hostname } from "node:os";
import { resolve } from "node:path";
import { llamaCpp } from "./addons/llama-cpp/status.js";
import { createOllamaBackend } from "./backends/ollama/index.js";
import type { Backend } from "./backends/types.js";
import { ConfigError, coerce, fromEnv, fromFile, parseSize, resolveConfig, type SidecarConfig } from "./config.js";
import { COMMAND_HELP, runCli } from "./commands/index.js";
import { configFileToRead } from "./config-path.js";
import { createLogger, type Logger } from "./log.js";
import { loadProgress } from "./progress.js";
import { metricsFromSettings } from "./metrics/index.js";
import { Sidecar } from "./sidecar.js";
import { exitForMismatch } from "./tunnel/handshake.js";
import { decideStop, REPEAT_WINDOW_MS } from "./signals.js";
import { connectUrl } from "./tunnel/backoff.js";
import { SIDECAR_VERSION } from "./version.js";

const FLAGS = {
  url: { type: "string", description: "the Worker's URL, e.g. https://hearth.example.workers.dev (env HEARTH_URL)" },
  token: { type: "string", description: "your sidecar token, hs_… — not the API key (env HEARTH_SIDECAR_TOKEN)" },
  models: { type: "string", description: "GGUF files or directories, comma-separated (env HEARTH_MODELS)" },
  ollama: { type: "string", description: "also serve the models of this Ollama, e.g. http://127.0.0.1:11434 (env HEARTH_OLLAMA_URL)" },
  name: { type: "string", description: "name of this machine in Hearth (default: host name)" },
  slots: { type: "string", description: "generations at once (default 2)" },
  queue: { type: "string", description: "requests that may wait for a slot before new ones are refused (default 4)" },
  threads: { type: "string", description: "llama.cpp threads (default: cores − 1)" },
  "context-size": { type: "string", description: "context tokens per request for GGUF models (default: min(model's, 4096))" },
  "memory-budget": { type: "string", description: "memory loaded GGUF models may use, e.g. 12GB (default: 75% of RAM)" },
  gpu: { type: "string", description: "auto | off (default auto)" },
  "log-level": { type: "string", description: "error | warn | info | debug | trace; trace prints prompts (default warn)" },
  "drain-seconds": { type: "string", description: "on shutdown, how long running requests may finish (default 30)" },
  id: { type: "string", description: "stable id of this installation (default: from host name and models)" },
  metrics: { type: "string", description: "serve Prometheus metrics at http://HOST:PORT/metrics, e.g. 127.0.0.1:9477 (env HEARTH_METRICS; loopback only)" },
  config: { type: "string", description: "a YAML or JSON file with any of these settings (env HEARTH_SIDECAR_CONFIG; default ~/.config/hearth/sidecar.yaml when it exists)" },
} as const;

function flagsFrom(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const flag of Object.keys(FLAGS)) {
    const value = args[flag];
    if (flag === "config" || typeof value !== "string") continue;
    const key = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    out[key] = coerce(key, value);
  }
  return out;
}

function defaultId(cfg: SidecarConfig): string {
  const basis = [hostname(), ...cfg.models.map((p) => resolve(p)), cfg.ollama ?? ""].join("\n");
  return `sc_${createHash("sha256").update(basis).digest("hex").slice(0, 16)}`;
}

async function createBackends(cfg: SidecarConfig, log: Logger): Promise<Backend[]> {
  const backends: Backend[] = [];
  if (cfg.models.length > 0) {
    // Imported only here: without GGUF models the sidecar never loads node-llama-cpp (the installed
    // package does not even ship it: it is the llama.cpp add-on).
    const { createLlamaCppBackend } = await import("./backends/llama-cpp/index.js");
    backends.push(
      await createLlamaCppBackend({
        paths: cfg.models.map((p) => resolve(p)),
        parallel: cfg.slots,
        gpu: cfg.gpu === "off" ? false : "auto",
        onProgress: loadProgress(),
        logger: log,
        ...(cfg.threads ? { threads: cfg.threads } : {}),
        ...(cfg.contextSize ? { contextSize: cfg.contextSize } : {}),
        ...(cfg.memoryBudget ? { memoryBudgetBytes: parseSize(cfg.memoryBudget) } : {}),
      }),
    );
  }
  if (cfg.ollama) backends.push(createOllamaBackend({ host: cfg.ollama, log }));
  return backends;
}

/** SIGINT/SIGTERM: the first drains and exits 0, repeats within the window are ignored, a later one exits now. */
function exitOnStopSignals(sidecar: Sidecar, log: Logger, drainSeconds: number): void {
  let firstAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = performance.now();
    switch (decideStop(firstAt, now)) {
      case "drain":
        firstAt = now;
        log.warn(`stopping: draining running requests (a signal after ${REPEAT_WINDOW_MS / 1000} s exits at once)`, { signal, drainSeconds });
        void sidecar.shutdown().then(
          () => {
            log.info("stopped: drained", { code: 0 });
            process.exit(0);
          },
          (err: unknown) => {
            log.error("shutdown failed", { error: err instanceof Error ? err.message : String(err) });
            process.exit(1);
          },
        );
        return;
      case "repeat":
        log.info("stop signal repeated: already draining", { signal, afterMs: firstAt === undefined ? undefined : Math.round(now - firstAt) });
        return;
      case "exit-now":
        log.warn("second signal: exiting now", { signal });
        process.exit(128 + constants.signals[signal]);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

async function run(args: Record<string, unknown>): Promise<void> {
  const configPath = configFileToRead(args.config as string | undefined);
  let cfg: SidecarConfig;
  try {
    cfg = resolveConfig({ ...(configPath ? { file: fromFile(configPath) } : {}), env: fromEnv(process.env), flags: flagsFrom(args) });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`hearth sidecar: ${err.message}\nRun with --help for the settings, or \`hearth-sidecar init\` to write a config file.\n`);
    process.exit(2);
  }
  if (cfg.models.length > 0) {
    const found = await llamaCpp();
    if (!found.ok) {
      process.stderr.write(`hearth sidecar: models: ${found.message}\n`);
      process.exit(2);
    }
  }
  const log = createLogger(cfg.logLevel);
  const backends = await createBackends(cfg, log);
  const metrics = await metricsFromSettings(cfg, log);
  const sidecar = new Sidecar({
    connectUrl: connectUrl(cfg.url),
    token: cfg.token,
    sidecarId: cfg.id ?? defaultId(cfg),
    name: cfg.name ?? hostname(),
    backends,
    slots: cfg.slots,
    queue: cfg.queue,
    log,
    drainTimeoutMs: cfg.drainSeconds * 1000,
    tags: cfg.tags,
    ...(metrics ? { metrics } : {}),
    onMismatch: (mismatch) => void exitForMismatch(mismatch, () => sidecar.shutdown()),
  });
  exitOnStopSignals(sidecar, log, cfg.drainSeconds);
  await sidecar.start();
  process.stderr.write(`hearth sidecar: serving ${backends.map((b) => b.kind).join(" + ")} for ${cfg.url} (Ctrl-C drains and stops)\n`);
}

const main = defineCommand({
  meta: {
    name: "hearth-sidecar",
    version: SIDECAR_VERSION,
    description: `Serve your Hearth requests on this machine's models. Settings: flags > env > the config file (--config, else ~/.config/hearth/sidecar.yaml when there). ${COMMAND_HELP}`,
  },
  args: FLAGS,
  run: ({ args }) => run(args),
});

void runCli(main);

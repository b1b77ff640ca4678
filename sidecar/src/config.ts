/**
 * The sidecar's settings from three places, later ones winning: a config file (YAML or JSON),
 * environment variables, command-line flags. One schema validates the merged result, so every error
 * names the setting and where it came from.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { parseListen } from "./metrics/server.js";

const size = z.union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?$/i, "must be bytes or a size like 8GB")]);

export const sidecarConfigSchema = z
  .object({
    /** The Worker's base URL, e.g. https://hearth.example.workers.dev. */
    url: z.url({ protocol: /^(https?|wss?)$/, error: "must be an http(s) URL" }),
    /** The user's sidecar token (hs_…), never the API key. */
    token: z.string().min(8, "must be the sidecar token (hs_…)"),
    /** GGUF files or directories holding them. Default: none. */
    models: z.array(z.string().min(1)).default([]),
    /** An Ollama server to serve its models too, e.g. http://127.0.0.1:11434. Default: none. */
    ollama: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    /** Shown in the Worker's view of this machine. Default: the host name. */
    name: z.string().max(100).optional(),
    /** Generations at once (and llama.cpp context sequences per model). Default: 2. */
    slots: z.number().int().min(1).max(64).default(2),
    /** Requests that may wait for a slot before new ones are refused as overloaded. Default: 4. */
    queue: z.number().int().min(0).max(1000).default(4),
    /** llama.cpp threads. Default: cores − 1 (at least 1). */
    threads: z.number().int().min(1).max(512).optional(),
    /** Tokens of context per request for GGUF models. Default: min(model's, 4096). */
    contextSize: z.number().int().min(128).optional(),
    /** Memory the loaded GGUF models may use, e.g. 12GB. Default: 75% of RAM. */
    memoryBudget: size.optional(),
    /** Use a GPU build of llama.cpp when one works here. Default: auto. */
    gpu: z.enum(["auto", "off"]).default("auto"),
    /** error | warn | info | debug | trace (trace prints prompts and tokens). Default: warn. */
    logLevel: z.enum(["error", "warn", "info", "debug", "trace"]).default("warn"),
    /** Seconds running requests may take to finish on shutdown. Default: 30. */
    drainSeconds: z.number().min(0).max(3600).default(30),
    /**
     * What models are for, by model id, for the Worker's routing rules (`code`, `vision`, or your own
     * tags), e.g. {"qwen2.5-7b-instruct": ["code"]}. Config file only. Default: the Worker infers
     * `code` and `vision` from model names.
     */
    tags: z.record(z.string().min(1), z.array(z.string().min(1).max(32)).max(16)).default({}),
    /** Stable id of this installation. Default: derived from the host name and model paths. */
    id: z.string().min(1).max(100).optional(),
    /** Serve Prometheus metrics at http://HOST:PORT/metrics, e.g. 127.0.0.1:9477 (loopback only, see metricsAllowRemote). Default: off. */
    metrics: z.string().min(1).optional(),
    /** Let `metrics` listen on an address other machines can reach (it has no authentication). Default: false. */
    metricsAllowRemote: z.boolean().default(false),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.metrics === undefined) return;
    try {
      parseListen(c.metrics, c.metricsAllowRemote);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : String(err), path: ["metrics"] });
    }
  })
  .refine((c) => c.models.length > 0 || c.ollama !== undefined, {
    message: "nothing to serve: give --models <dir or .gguf> and/or --ollama <url>",
    path: ["models"],
  });

export type SidecarConfig = z.infer<typeof sidecarConfigSchema>;
type Partial = Record<string, unknown>;

/** Environment variables and the setting each one feeds. */
export const ENV_NAMES: Record<string, keyof SidecarConfig> = {
  HEARTH_URL: "url",
  HEARTH_SIDECAR_TOKEN: "token",
  HEARTH_MODELS: "models",
  HEARTH_OLLAMA_URL: "ollama",
  HEARTH_SIDECAR_NAME: "name",
  HEARTH_SLOTS: "slots",
  HEARTH_QUEUE: "queue",
  HEARTH_THREADS: "threads",
  HEARTH_CONTEXT_SIZE: "contextSize",
  HEARTH_MEMORY_BUDGET: "memoryBudget",
  HEARTH_GPU: "gpu",
  HEARTH_LOG_LEVEL: "logLevel",
  HEARTH_METRICS: "metrics",
  HEARTH_METRICS_ALLOW_REMOTE: "metricsAllowRemote",
};

const NUMERIC: ReadonlySet<string> = new Set(["slots", "queue", "threads", "contextSize", "drainSeconds"]);
const BOOLEAN: ReadonlySet<string> = new Set(["metricsAllowRemote"]);

/** Strings from env or argv → the types the schema expects (lists split on commas). */
export function coerce(key: string, value: string): unknown {
  if (key === "models") return value.split(",").map((s) => s.trim()).filter(Boolean);
  if (NUMERIC.has(key) && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  if (BOOLEAN.has(key) && /^(1|true|yes|0|false|no)$/i.test(value.trim())) return /^(1|true|yes)$/i.test(value.trim());
  return value;
}

export function fromEnv(env: NodeJS.ProcessEnv): Partial {
  const out: Partial = {};
  for (const [name, key] of Object.entries(ENV_NAMES)) {
    const v = env[name];
    if (v !== undefined && v !== "") out[key] = coerce(key, v);
  }
  return out;
}

export function fromFile(path: string): Partial {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text); // YAML is a superset of JSON: one parser for both
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML/JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (parsed == null) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) throw new ConfigError(`config file ${path} must hold a mapping of settings`);
  const out = { ...(parsed as Partial) };
  if (typeof out.models === "string") out.models = [out.models];
  return out;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Merges the sources (file < env < flags) and validates; throws ConfigError naming the setting. */
export function resolveConfig(sources: { file?: Partial; env: Partial; flags: Partial }): SidecarConfig {
  const merged = { ...sources.file, ...sources.env, ...sources.flags };
  const result = sidecarConfigSchema.safeParse(merged);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = String(issue?.path[0] ?? "");
  const from = issue?.code === "custom" ? "the merged settings" : key in sources.flags ? `--${kebab(key)}` : key in sources.env ? envNameOf(key) : key in (sources.file ?? {}) ? "the config file" : "defaults";
  const what =
    issue?.code === "unrecognized_keys"
      ? `unknown setting(s) ${issue.keys.join(", ")}`
      : issue?.code === "custom"
        ? (issue.message ?? "invalid settings")
        : `'${key}' ${issue?.message ?? "is invalid"}`;
  throw new ConfigError(`${what} (from ${from})`);
}

export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function envNameOf(key: string): string {
  return Object.entries(ENV_NAMES).find(([, k]) => k === key)?.[0] ?? key;
}

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** "8GB" → 8e9; numbers pass through. */
export function parseSize(v: number | string): number {
  if (typeof v === "number") return v;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v.trim());
  return Math.round(Number(m?.[1] ?? NaN) * (UNITS[(m?.[2] || "b").toLowerCase()] ?? NaN));
}

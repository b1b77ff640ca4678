/**
 * `doctor`'s verdicts: each check is a pure function from facts gathered elsewhere (gather.ts) to a
 * row — ok, warn, fail or skip — with a fix for every warning and failure. Tested without a network.
 */
import { compatibility, UPGRADE_HOW } from "@hearth/shared";
import { buildName } from "../addons/llama-cpp/packages.js";
import { ADD_COMMAND, type LlamaCpp } from "../addons/llama-cpp/status.js";
import type { GgufReport } from "../inspect/gguf.js";
import { formatBytes } from "../inspect/gguf.js";
import type { GpuReport } from "../inspect/gpu.js";
import type { OllamaReport } from "../inspect/ollama.js";
import type { ProbeResult } from "../tunnel/probe.js";

export type Status = "ok" | "warn" | "fail" | "skip";

export interface Check {
  /** Stable key for --json readers: config, worker, version, token, clock, llama-cpp, gpu, model:<id>, memory, ollama, generation. */
  id: string;
  status: Status;
  detail: string;
  /** What to do about it; set on warn and fail. */
  fix?: string;
}

export const ISSUE_TOKEN_FIX = "issue a sidecar token (`pnpm hearth keys issue <user> --kind sidecar`, or the sidecarToken of POST /admin/users) — the API key is not one";

export function configCheck(path: string | undefined, error: string | undefined): Check {
  if (error) return { id: "config", status: "fail", detail: error, fix: path ? `edit ${path}, or run \`hearth-sidecar init --force\`` : "run `hearth-sidecar init`, or pass --url, --token and --models/--ollama" };
  return { id: "config", status: "ok", detail: path ?? "from flags and environment variables (no config file)" };
}

export type HealthFacts =
  | { ok: true; url: string; status: number; ms: number; body: unknown }
  | { ok: false; url: string; error: string };

export function workerCheck(h: HealthFacts): Check {
  if (!h.ok) return { id: "worker", status: "fail", detail: `${h.url}/healthz: ${h.error}`, fix: `check the URL and that the Worker is deployed (\`curl ${h.url}/healthz\`)` };
  if (h.status !== 200) return { id: "worker", status: "fail", detail: `${h.url}/healthz answered ${h.status}`, fix: "the URL answers but is not a Hearth Worker: use the Worker's base URL (https://<name>.<account>.workers.dev)" };
  const version = workerVersionOf(h.body);
  return { id: "worker", status: "ok", detail: `${h.url} answered in ${h.ms} ms${version ? ` (Hearth ${version})` : ""}` };
}

/** Protocol versions a Worker says it serves: from /healthz or the welcome frame; absent from older Workers. */
export interface WorkerProtocol {
  min: number;
  max: number;
}

export function workerVersionOf(body: unknown): string | undefined {
  const v = (body as { version?: unknown } | null)?.version;
  return typeof v === "string" ? v : undefined;
}

/** `protocol: {min, max}` of a /healthz body, when the Worker says it. */
export function protocolOfHealth(body: unknown): WorkerProtocol | undefined {
  const p = (body as { protocol?: { min?: unknown; max?: unknown } } | null)?.protocol;
  return typeof p?.min === "number" && typeof p.max === "number" ? { min: p.min, max: p.max } : undefined;
}

/**
 * Whether this sidecar's protocol is one the Worker serves (the same compatibility() both ends use).
 * The Worker's range comes from /healthz or its welcome; a Worker that states neither speaks only the
 * `v` of its welcome (older Workers).
 */
export function versionCheck(sidecarProtocol: number, range: WorkerProtocol | undefined, welcomeV: number | undefined, versions: { sidecar: string; worker?: string | undefined }): Check {
  const served = range ?? (welcomeV === undefined ? undefined : { min: welcomeV, max: welcomeV });
  if (!served) return { id: "version", status: "skip", detail: "the Worker could not be asked" };
  const span = served.min === served.max ? `protocol ${served.max}` : `protocols ${served.min}–${served.max}`;
  const detail = `the Worker${versions.worker ? ` (Hearth ${versions.worker})` : ""} serves ${span}; this sidecar (${versions.sidecar}) speaks ${sidecarProtocol}`;
  const verdict = compatibility({ worker: { ...served, version: versions.worker }, sidecar: { protocol: sidecarProtocol, version: versions.sidecar } });
  if (verdict.ok) return { id: "version", status: "ok", detail };
  return { id: "version", status: "fail", detail, fix: `upgrade the ${verdict.upgrade}: ${UPGRADE_HOW[verdict.upgrade]}` };
}

export function tokenCheck(probe: ProbeResult | undefined, configPath: string | undefined): Check {
  if (!probe) return { id: "token", status: "skip", detail: "the Worker is not reachable" };
  if (probe.ok) return { id: "token", status: "ok", detail: `accepted: the tunnel opened and the Worker welcomed this sidecar in ${probe.ms} ms` };
  const where = configPath ? `set \`token:\` in ${configPath}` : "pass it as --token";
  switch (probe.failure) {
    case "unauthorized":
      return { id: "token", status: "fail", detail: `refused (401): ${probe.message}`, fix: `${ISSUE_TOKEN_FIX}; ${where}` };
    case "refused":
      return { id: "token", status: "fail", detail: `the Worker refused the tunnel (${probe.status ?? "?"}): ${probe.message}`, fix: probe.status === 426 ? "upgrade the side the message names" : "check the URL: it must be the Hearth Worker's base URL" };
    case "closed":
      return { id: "token", status: "fail", detail: `the tunnel closed before the welcome: ${probe.message}`, fix: "read the reason above; a protocol mismatch names what to upgrade" };
    default:
      return { id: "token", status: "fail", detail: `no tunnel: ${probe.message}`, fix: "WebSockets must reach the Worker: check firewalls and proxies between this machine and it" };
  }
}

/** Warn above this much disagreement between this clock and the Worker's. */
export const CLOCK_SKEW_WARN_MS = 30_000;

/** @param skewMs this machine's clock minus the Worker's (from its Date header, ±1 s) */
export function clockCheck(skewMs: number | undefined): Check {
  if (skewMs === undefined) return { id: "clock", status: "skip", detail: "the Worker sent no Date header" };
  const s = Math.round(skewMs / 1000);
  const detail = Math.abs(s) <= 1 ? "in step with the Worker's (within the Date header's 1 s)" : `${Math.abs(s)} s ${s > 0 ? "ahead of" : "behind"} the Worker's`;
  if (Math.abs(skewMs) <= CLOCK_SKEW_WARN_MS) return { id: "clock", status: "ok", detail };
  return { id: "clock", status: "warn", detail: `${detail}: log and stats times will disagree, and TLS fails once it is off by hours`, fix: "turn on time sync: `sudo timedatectl set-ntp true` (Linux), System Settings › General › Date & Time › Set automatically (macOS)" };
}

/** Whether GGUF models can run: the llama.cpp add-on (or, from a checkout, the workspace's node-llama-cpp). */
export function llamaCppCheck(found: LlamaCpp, hasGgufModels: boolean): Check {
  const id = "llama-cpp";
  if (found.ok && found.from === "checkout") return { id, status: "ok", detail: "node-llama-cpp from the checkout's node_modules (run from source)" };
  if (found.ok) {
    const r = found.record;
    return { id, status: "ok", detail: `add-on: node-llama-cpp ${r.version}, ${buildName(r.gpu)} build (${r.packages.join(", ")}), ${formatBytes(r.sizeBytes)} in ${found.dir}` };
  }
  const fix = `\`${ADD_COMMAND}\` (add \`--gpu cuda\`, \`vulkan\` or \`metal\` for a GPU build; auto picks by the drivers)`;
  if (!hasGgufModels) return { id, status: "skip", detail: found.problem === "missing" ? `no add-on: only GGUF models need it (\`${ADD_COMMAND}\`)` : found.why };
  return { id, status: "fail", detail: found.why, fix };
}

const GPU_NAMES: Record<string, string> = { cuda: "CUDA", vulkan: "Vulkan", metal: "Metal" };
const gpuName = (t: string) => GPU_NAMES[t] ?? t;

export function gpuCheck(g: GpuReport, hasGgufModels: boolean): Check {
  const supported = g.supported.map(gpuName).join(", ");
  if (g.using === undefined) {
    return {
      id: "gpu",
      status: hasGgufModels ? "fail" : "warn",
      detail: `no prebuilt llama.cpp loads on this machine (${process.platform}-${process.arch}): ${g.error ?? "unknown error"}`,
      fix: `install the llama.cpp add-on again (\`${ADD_COMMAND}\`), or with another build (\`--gpu cpu\`); Ollama models do not need it`,
    };
  }
  if (g.off) return { id: "gpu", status: "ok", detail: `CPU: \`gpu: off\` in the config${supported ? ` (this machine supports ${supported})` : ""}` };
  if (g.using) return { id: "gpu", status: "ok", detail: `${gpuName(g.using)}${g.vramBytes ? `, ${formatBytes(g.vramBytes)} VRAM` : ""}` };
  if (g.supported.length === 0) return { id: "gpu", status: "ok", detail: "CPU: no CUDA, Vulkan or Metal driver found on this machine" };
  return {
    id: "gpu",
    status: "warn",
    detail: `CPU, although this machine supports ${supported}: no prebuilt ${supported} build of llama.cpp loaded`,
    fix: `check the driver (nvidia-smi, vulkaninfo), and install the add-on with that build: \`${ADD_COMMAND} --gpu ${g.supported[0] ?? "auto"}\``,
  };
}

/** A row per model file; a failing row for each configured path that is missing or holds no model. */
export function modelChecks(reports: readonly GgufReport[], paths: readonly string[], missing: readonly string[], contextFor: (train: number | undefined) => number): Check[] {
  const rows: Check[] = missing.map((p) => ({ id: `path:${p}`, status: "fail" as const, detail: `model path ${p} does not exist`, fix: "fix `models:` in the config, or create the directory and put .gguf files in it" }));
  if (paths.length > missing.length && reports.length === 0) {
    rows.push({ id: "models", status: "fail", detail: `no .gguf files in ${paths.filter((p) => !missing.includes(p)).join(", ")}`, fix: "download a GGUF model there (e.g. a Q4_K_M quantisation of an instruct model), or serve Ollama's models with `ollama:`" });
  }
  for (const r of reports) {
    if (!r.ok) {
      rows.push({ id: `model:${r.id}`, status: "fail", detail: `${r.path}: ${r.error}`, fix: "the file is not a model llama.cpp reads: download it again (a partial download looks like this), or move it out of the models directory" });
      continue;
    }
    if (!r.read) {
      rows.push({ id: `model:${r.id}`, status: "skip", detail: `${formatBytes(r.sizeBytes)}; its metadata is read with the llama.cpp add-on` });
      continue;
    }
    const kind = r.embedding ? "embeddings" : r.tools ? "chat, tools" : "chat";
    const ctx = r.trainContext ? `context ${r.trainContext} (runs with ${contextFor(r.trainContext)})` : `context unknown (runs with ${contextFor(undefined)})`;
    rows.push({ id: `model:${r.id}`, status: "ok", detail: `${formatBytes(r.sizeBytes)}, ${ctx}, ${r.architecture ?? "unknown architecture"}, ${kind}` });
  }
  return rows;
}

export interface MemoryFacts {
  budgetBytes: number;
  /** The budget was set in the config (memoryBudget), not the 75%-of-RAM default. */
  configured: boolean;
  totalBytes: number;
  models: readonly { id: string; sizeBytes: number }[];
}

/** Loaded models take at least their file size (plus KV cache and buffers, which the budget also counts). */
export function memoryCheck(m: MemoryFacts): Check {
  const budget = `budget ${formatBytes(m.budgetBytes)}${m.configured ? "" : " (75% of RAM)"} of ${formatBytes(m.totalBytes)} RAM`;
  if (m.models.length === 0) return { id: "memory", status: "skip", detail: `${budget}; no GGUF models` };
  const tooBig = m.models.filter((x) => x.sizeBytes > m.budgetBytes);
  if (tooBig.length > 0) {
    return { id: "memory", status: "fail", detail: `${budget}: ${tooBig.map((x) => `${x.id} (${formatBytes(x.sizeBytes)})`).join(", ")} cannot load within it`, fix: "use a smaller quantisation (Q4_K_M) of that model, or raise memoryBudget if the machine has the memory" };
  }
  if (m.budgetBytes > m.totalBytes) {
    return { id: "memory", status: "warn", detail: `${budget}: more than the machine has; loading may swap or be killed`, fix: "set memoryBudget below the RAM (and leave room for the system)" };
  }
  const sum = m.models.reduce((a, x) => a + x.sizeBytes, 0);
  const largest = Math.max(...m.models.map((x) => x.sizeBytes));
  if (sum > m.budgetBytes) {
    return { id: "memory", status: "ok", detail: `${budget}; models ${formatBytes(sum)} together, largest ${formatBytes(largest)}: not all at once — loading one unloads the least recently used idle one` };
  }
  return { id: "memory", status: "ok", detail: `${budget}; models ${formatBytes(sum)} together fit` };
}

export function ollamaCheck(o: OllamaReport | undefined, models: readonly { id: string; contextLength: number }[] = []): Check {
  if (!o) return { id: "ollama", status: "skip", detail: "not configured (`ollama:` in the config serves a local Ollama's models)" };
  if (!o.ok) return { id: "ollama", status: "fail", detail: `${o.url}: ${o.error}`, fix: "start Ollama (`ollama serve`, or the Ollama app), or correct `ollama:` in the config (OLLAMA_HOST's address)" };
  if (o.models.length === 0) return { id: "ollama", status: "warn", detail: `${o.url} answers but has no models`, fix: "pull one: `ollama pull llama3.2`" };
  const ctx = new Map(models.map((m) => [m.id, m.contextLength]));
  const list = o.models.map((m) => `${m.name} (${formatBytes(m.sizeBytes)}${ctx.has(m.name) ? `, context ${ctx.get(m.name)}` : ""})`).join(", ");
  return { id: "ollama", status: "ok", detail: `${o.url}: ${o.models.length} model${o.models.length === 1 ? "" : "s"}: ${list}` };
}

export type GenerationFacts =
  | { ok: true; model: string; backend: string; ttftMs: number; tokens: number; tokensPerSecond: number | undefined }
  | { ok: false; model: string; error: string }
  | { skipped: string };

export function generationCheck(g: GenerationFacts): Check {
  if ("skipped" in g) return { id: "generation", status: "skip", detail: g.skipped };
  if (!g.ok) return { id: "generation", status: "fail", detail: `${g.model}: ${g.error}`, fix: "run `hearth-sidecar --log-level debug` to see the backend's messages; try `--context-size 2048` or `--gpu off`" };
  const speed = g.tokensPerSecond === undefined ? "too few tokens to time" : `${g.tokensPerSecond.toFixed(1)} tokens/s`;
  return { id: "generation", status: "ok", detail: `${g.model} (${g.backend}): first token in ${g.ttftMs} ms, ${speed} over ${g.tokens} tokens` };
}

/** 1 when any check failed, else 0 (warnings do not fail the run). */
export function exitCodeOf(checks: readonly Check[]): number {
  return checks.some((c) => c.status === "fail") ? 1 : 0;
}

/**
 * doctor's facts, gathered with the network and the disk, then judged by checks.ts: the Worker's
 * /healthz (reachability, version, Date header), one tunnel dial (the token), the llama.cpp add-on and
 * build, the GGUF files' metadata, Ollama, and a test generation. node-llama-cpp is imported only when
 * the add-on is there.
 */
import { totalmem } from "node:os";
import { resolve } from "node:path";
import { llamaCpp } from "../addons/llama-cpp/status.js";
import { contextSizeFor, DEFAULT_MEMORY_FRACTION } from "../backends/llama-cpp/options.js";
import { createOllamaBackend } from "../backends/ollama/index.js";
import type { Backend } from "../backends/types.js";
import { parseSize, type SidecarConfig } from "../config.js";
import { inspectGgufs, missingPaths } from "../inspect/gguf.js";
import type { GpuReport } from "../inspect/gpu.js";
import { inspectOllama } from "../inspect/ollama.js";
import { silentLogger } from "../log.js";
import { SIDECAR_VERSION } from "../version.js";
import { connectUrl } from "../tunnel/backoff.js";
import { sidecarProtocol } from "../tunnel/handshake.js";
import { probeTunnel, protocolHeaders } from "../tunnel/probe.js";
import {
  clockCheck,
  generationCheck,
  gpuCheck,
  llamaCppCheck,
  memoryCheck,
  modelChecks,
  ollamaCheck,
  protocolOfHealth,
  tokenCheck,
  versionCheck,
  workerCheck,
  workerVersionOf,
  type Check,
  type GenerationFacts,
  type HealthFacts,
} from "./checks.js";
import { testGeneration } from "./generation.js";

export interface DoctorOptions {
  cfg: SidecarConfig;
  configPath: string | undefined;
  /** Run the test generation. Default: true. */
  generate: boolean;
  /** Per network check and for the whole test generation. */
  timeoutMs: number;
  generationTimeoutMs: number;
}

export async function workerHealth(base: string, timeoutMs: number): Promise<{ facts: HealthFacts; skewMs: number | undefined }> {
  const url = base.replace(/\/+$/, "");
  const sent = Date.now();
  try {
    const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    const received = Date.now();
    const body: unknown = await r.json().catch(() => undefined);
    const date = r.headers.get("date");
    // The Worker stamped its Date somewhere in the round trip: compare with the middle of it. The header
    // drops the milliseconds, so the Worker's time was on average half a second past it.
    const skewMs = date ? (sent + received) / 2 - (Date.parse(date) + 500) : undefined;
    return { facts: { ok: true, url, status: r.status, ms: received - sent, body }, skewMs: skewMs !== undefined && Number.isFinite(skewMs) ? skewMs : undefined };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const error = e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { facts: { ok: false, url, error }, skewMs: undefined };
  }
}

/** The Worker, the token, the version, the clock. */
async function workerChecks(o: DoctorOptions): Promise<Check[]> {
  const { facts, skewMs } = await workerHealth(o.cfg.url, o.timeoutMs);
  const reachable = facts.ok && facts.status === 200;
  const probe = reachable ? await probeTunnel({ url: connectUrl(o.cfg.url), token: o.cfg.token, timeoutMs: o.timeoutMs, headers: protocolHeaders() }) : undefined;
  const range = facts.ok ? protocolOfHealth(facts.body) : undefined;
  const welcome = probe?.ok ? probe.welcome : undefined;
  const welcomeRange = welcome?.min !== undefined && welcome.max !== undefined ? { min: welcome.min, max: welcome.max } : undefined;
  const workerVersion = (facts.ok ? workerVersionOf(facts.body) : undefined) ?? welcome?.version;
  const clock = facts.ok ? clockCheck(skewMs) : { id: "clock", status: "skip" as const, detail: "the Worker could not be asked" };
  return [workerCheck(facts), versionCheck(sidecarProtocol(), range ?? welcomeRange, welcome?.v, { sidecar: SIDECAR_VERSION, worker: workerVersion }), tokenCheck(probe, o.configPath), clock];
}

/** Picks the model for the test generation: the first GGUF chat model, else the first Ollama one. */
async function generation(o: DoctorOptions, ggufs: { id: string; path: string }[], ollamaBackend: Backend | undefined): Promise<GenerationFacts> {
  if (!o.generate) return { skipped: "skipped (--no-generate)" };
  const first = ggufs[0];
  let backend: Backend | undefined;
  let model: string | undefined;
  try {
    if (first) {
      const { createLlamaCppBackend } = await import("../backends/llama-cpp/index.js");
      backend = await createLlamaCppBackend({
        paths: [first.path],
        parallel: 1,
        gpu: o.cfg.gpu === "off" ? false : "auto",
        logger: silentLogger,
        ...(o.cfg.threads ? { threads: o.cfg.threads } : {}),
        ...(o.cfg.contextSize ? { contextSize: o.cfg.contextSize } : {}),
        ...(o.cfg.memoryBudget ? { memoryBudgetBytes: parseSize(o.cfg.memoryBudget) } : {}),
      });
      model = first.id;
    } else if (ollamaBackend) {
      model = (await ollamaBackend.models()).find((m) => m.chat !== false)?.id;
    }
    if (model === undefined) return { skipped: "no chat model to try" };
    return await testGeneration(backend ?? (ollamaBackend as Backend), model, o.generationTimeoutMs);
  } catch (err) {
    return { ok: false, model: model ?? first?.id ?? "?", error: err instanceof Error ? err.message : String(err) };
  } finally {
    await backend?.dispose();
  }
}

/** The llama.cpp build that loads here, when GGUF models are configured and node-llama-cpp is there to ask. */
async function gpuReport(o: DoctorOptions, usable: boolean): Promise<GpuReport | undefined> {
  if (o.cfg.models.length === 0 || !usable) return undefined;
  const { inspectGpu } = await import("../inspect/gpu.js");
  return inspectGpu(o.cfg.gpu);
}

export async function runChecks(o: DoctorOptions): Promise<Check[]> {
  const paths = o.cfg.models.map((p) => resolve(p));
  const found = await llamaCpp();
  const [worker, gpu, ggufs, missing, ollama] = await Promise.all([
    workerChecks(o),
    gpuReport(o, found.ok),
    inspectGgufs(paths, found.ok),
    missingPaths(paths),
    o.cfg.ollama ? inspectOllama(o.cfg.ollama, o.timeoutMs) : undefined,
  ]);
  const chatGgufs = ggufs.flatMap((g) => (g.ok && g.read && !g.embedding ? [{ id: g.id, path: g.path }] : []));
  const ollamaBackend = ollama?.ok ? createOllamaBackend({ host: ollama.url, log: silentLogger }) : undefined;
  try {
    const ollamaModels = ollamaBackend ? await ollamaBackend.models() : [];
    const budget = o.cfg.memoryBudget ? parseSize(o.cfg.memoryBudget) : Math.floor(totalmem() * DEFAULT_MEMORY_FRACTION);
    const rows = [
      ...worker,
      llamaCppCheck(found, paths.length > 0),
      gpu ? gpuCheck(gpu, ggufs.length > 0) : { id: "gpu", status: "skip" as const, detail: paths.length > 0 ? "needs the llama.cpp add-on (see llama-cpp)" : "no GGUF models configured (Ollama picks its own GPU)" },
      ...modelChecks(ggufs, paths, missing, (train) => contextSizeFor(train, o.cfg.contextSize)),
      memoryCheck({ budgetBytes: budget, configured: o.cfg.memoryBudget !== undefined, totalBytes: totalmem(), models: ggufs.flatMap((g) => (g.ok ? [{ id: g.id, sizeBytes: g.sizeBytes }] : [])) }),
      ollamaCheck(ollama, ollamaModels.map((m) => ({ id: m.id, contextLength: m.contextLength }))),
    ];
    const canGenerate = gpu?.using !== undefined || chatGgufs.length === 0;
    rows.push(generationCheck(canGenerate ? await generation(o, chatGgufs, ollamaBackend) : { skipped: "no llama.cpp build loads here (see gpu)" }));
    return rows;
  } finally {
    await ollamaBackend?.dispose();
  }
}

/**
 * What `init` writes: the settings it was given merged over an existing config file's (so tuning
 * such as slots or tags survives a re-run), validated by the sidecar's own schema before anything is
 * written. Pure.
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { resolveConfig } from "../config.js";

export interface InitAnswers {
  url: string;
  token: string;
  /** GGUF files or directories. */
  models: string[];
  /** An Ollama to serve, or none. */
  ollama: string | undefined;
}

/** Directories where people keep GGUF files (llama.cpp's cache, LM Studio's), in the order offered. */
export function candidateModelDirs(home: string): string[] {
  return [join(home, "models"), join(home, ".cache", "llama.cpp"), join(home, ".lmstudio", "models"), join(home, ".cache", "lm-studio", "models")];
}

/** The settings to write; throws ConfigError naming the setting when the sidecar would refuse them. */
export function initSettings(existing: Record<string, unknown>, a: InitAnswers): Record<string, unknown> {
  const out: Record<string, unknown> = { ...existing, url: a.url, token: a.token, models: a.models };
  if (a.ollama) out.ollama = a.ollama;
  else delete out.ollama;
  if (a.models.length === 0) delete out.models;
  resolveConfig({ file: out, env: {}, flags: {} });
  return out;
}

const HEADER = `# Hearth sidecar settings, written by \`hearth-sidecar init\`. Flags and HEARTH_* environment
# variables override these; \`hearth-sidecar --help\` lists every setting (slots, threads, contextSize,
# memoryBudget, gpu, logLevel, drainSeconds, tags…). This file holds your sidecar token: keep it private.
`;

export function configYaml(settings: Record<string, unknown>): string {
  return `${HEADER}${stringify(settings)}`;
}

/**
 * Whether this sidecar can run GGUF models, and with what: the installed package uses the llama.cpp
 * add-on (`hearth-sidecar add llama-cpp`, in the data directory) at exactly the version it was built
 * with; run from a checkout, it uses the workspace's node-llama-cpp. Read without loading node-llama-cpp.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { addonDir, RECORD_FILE } from "./location.js";
import type { GpuKind } from "./packages.js";

declare const __HEARTH_LLAMA_CPP_VERSION__: string | undefined;

/** The node-llama-cpp version the installed package was built against; undefined when run from source. */
export const PINNED_LLAMA_CPP: string | undefined = typeof __HEARTH_LLAMA_CPP_VERSION__ === "string" ? __HEARTH_LLAMA_CPP_VERSION__ : undefined;

/** The command that installs (or replaces) the add-on. */
export const ADD_COMMAND = "hearth-sidecar add llama-cpp";

/** addon.json: what `add llama-cpp` installed. */
export interface AddonRecord {
  version: string;
  gpu: GpuKind;
  /** The binary packages installed, e.g. ["@node-llama-cpp/linux-x64"]. */
  packages: string[];
  platform: string;
  arch: string;
  /** Bytes on disk after install. */
  sizeBytes: number;
  installedAt: string;
}

export type LlamaCpp =
  | { ok: true; from: "checkout" }
  | { ok: true; from: "addon"; dir: string; record: AddonRecord; entry: string }
  /** `why` says what is wrong; `message` adds the command that fixes it, in one line. */
  | { ok: false; dir: string; problem: "missing" | "incomplete" | "version"; why: string; message: string };

function unavailable(dir: string, problem: "missing" | "incomplete" | "version", why: string): LlamaCpp {
  return { ok: false, dir, problem, why, message: `${why}: run \`${ADD_COMMAND}\`` };
}

/**
 * The verdict from what is on disk. Pure.
 * @param installed node-llama-cpp's package.json in the add-on, when there: its version and ESM entry (absolute)
 */
export function judgeAddon(pinned: string, dir: string, record: AddonRecord | undefined, installed: { version: string; entry: string } | undefined): LlamaCpp {
  if (!record && !installed) return unavailable(dir, "missing", "GGUF models need the llama.cpp add-on, which is not installed");
  if (!record || !installed) return unavailable(dir, "incomplete", `the llama.cpp add-on in ${dir} is incomplete`);
  if (installed.version !== pinned) return unavailable(dir, "version", `the llama.cpp add-on has node-llama-cpp ${installed.version}, this sidecar needs ${pinned}`);
  return { ok: true, from: "addon", dir, record, entry: installed.entry };
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, "utf8")) as unknown;
}

/** node-llama-cpp's version and ESM entry file under `dir`, when installed there. */
async function installedLlamaCpp(dir: string): Promise<{ version: string; entry: string } | undefined> {
  const root = join(dir, "node_modules", "node-llama-cpp");
  const pkg = (await readJson(join(root, "package.json")).catch(() => undefined)) as { version?: string; exports?: Record<string, { import?: string }>; main?: string } | undefined;
  const entry = pkg?.exports?.["."]?.import ?? pkg?.main;
  return pkg?.version && entry ? { version: pkg.version, entry: join(root, entry) } : undefined;
}

/** The add-on's record, when addon.json is there and readable. */
export async function readRecord(dir: string): Promise<AddonRecord | undefined> {
  return (await readJson(join(dir, RECORD_FILE)).catch(() => undefined)) as AddonRecord | undefined;
}

/** Where node-llama-cpp comes from for this sidecar, or why it cannot be loaded. */
export async function llamaCpp(dir: string = addonDir(), pinned: string | undefined = PINNED_LLAMA_CPP): Promise<LlamaCpp> {
  if (pinned === undefined) return { ok: true, from: "checkout" };
  const [record, installed] = await Promise.all([readRecord(dir), installedLlamaCpp(dir)]);
  return judgeAddon(pinned, dir, record, installed);
}

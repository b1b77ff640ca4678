/**
 * Installs and removes the llama.cpp add-on with the user's own npm (their registry, proxy and cache
 * settings apply). The install goes into a staging directory beside the add-on's and replaces it only
 * once complete, so a failed or interrupted install leaves the previous add-on (or none) as it was.
 */
import { spawn } from "node:child_process";
import { lstat, mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { RECORD_FILE } from "./location.js";
import { addonManifest, NPM_INSTALL_ARGS, SOURCE_ONLY_FILES, type GpuKind } from "./packages.js";
import type { AddonRecord } from "./status.js";

export class AddonInstallError extends Error {
  readonly code = "addon_install";
  constructor(message: string) {
    super(message);
    this.name = "AddonInstallError";
  }
}

export interface InstallOptions {
  /** The add-on's directory (replaced when the install succeeds). */
  dir: string;
  /** node-llama-cpp's version, which its binary packages share. */
  version: string;
  gpu: GpuKind;
  /** The binary packages for that build (packages.ts binaryPackages). */
  packages: string[];
  /** The npm to run. Default: `npm` on the PATH. */
  npm?: string;
  /** Where npm's output goes, line by line. Default: dropped (it is kept for the error message). */
  onOutput?: (text: string) => void;
  /** npm's environment (its npm_config_* settings). Default: this process's. */
  env?: NodeJS.ProcessEnv;
}

/** Bytes under a path (files' sizes, symlinks not followed). */
export async function sizeOf(path: string): Promise<number> {
  const s = await lstat(path).catch(() => undefined);
  if (!s) return 0;
  if (!s.isDirectory()) return s.size;
  const names = await readdir(path);
  const sizes = await Promise.all(names.map((n) => sizeOf(join(path, n))));
  return sizes.reduce((a, b) => a + b, 0);
}

function runNpm(npm: string, cwd: string, onOutput: (text: string) => void, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(npm, NPM_INSTALL_ARGS, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const take = (d: Buffer) => {
      output += d.toString();
      onOutput(d.toString());
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", (err) => reject(new AddonInstallError(`could not run ${npm}: ${err.message} (the add-on is installed with npm, which comes with Node.js)`)));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new AddonInstallError(`npm install failed (exit ${code}):\n${output.trim().split("\n").slice(-15).join("\n")}`))));
  });
}

/** Installs the add-on into `o.dir`, replacing what was there; returns its record. */
export async function installAddon(o: InstallOptions): Promise<AddonRecord> {
  const staging = `${o.dir}.staging-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    await writeFile(join(staging, "package.json"), `${JSON.stringify(addonManifest(o.version, o.packages), null, 2)}\n`);
    await runNpm(o.npm ?? "npm", staging, o.onOutput ?? (() => {}), o.env ?? process.env);
    await Promise.all(SOURCE_ONLY_FILES.map((f) => rm(join(staging, f), { force: true })));
    const record: AddonRecord = { version: o.version, gpu: o.gpu, packages: o.packages, platform: process.platform, arch: process.arch, sizeBytes: await sizeOf(staging), installedAt: new Date().toISOString() };
    await writeFile(join(staging, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
    await swapIn(staging, o.dir);
    return record;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Replaces `dir` with `staging` (two renames, so `dir` is never half-written). */
async function swapIn(staging: string, dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const old = `${dir}.old-${process.pid}`;
  const had = await lstat(dir).then(() => true, () => false);
  if (had) await rename(dir, old);
  await rename(staging, dir);
  if (had) await rm(old, { recursive: true, force: true });
}

/** Removes the add-on; returns the bytes freed (0 when it was not there). */
export async function removeAddon(dir: string): Promise<number> {
  const bytes = await sizeOf(dir);
  await rm(dir, { recursive: true, force: true });
  return bytes;
}

/**
 * What the llama.cpp add-on installs: node-llama-cpp at the sidecar's pinned version and, of its
 * prebuilt llama.cpp binaries (optional npm packages, one per platform and GPU kind), only the ones this
 * machine runs — the CPU build, plus the one GPU kind asked for. node-llama-cpp itself would fetch all
 * of them (~610 MB of GPU builds on Linux x64) and its postinstall may compile from source. Pure.
 */

/** A build of llama.cpp: the CPU, or the CPU plus one GPU kind. */
export type GpuKind = "cpu" | "cuda" | "vulkan" | "metal";
export const GPU_KINDS: readonly GpuKind[] = ["cpu", "cuda", "vulkan", "metal"];

const BUILD_NAMES: Record<GpuKind, string> = { cpu: "CPU", cuda: "CUDA", vulkan: "Vulkan", metal: "Metal" };

/** `CPU`, or `CPU + CUDA`; Apple silicon's Metal build is its CPU build too. */
export function buildName(gpu: GpuKind): string {
  return gpu === "cpu" || gpu === "metal" ? BUILD_NAMES[gpu] : `CPU + ${BUILD_NAMES[gpu]}`;
}

/** What `--gpu` takes: a kind, or `auto` to let the machine's drivers choose. */
export type GpuChoice = GpuKind | "auto";

export class AddonPlatformError extends Error {
  readonly code = "addon_platform";
  constructor(message: string) {
    super(message);
    this.name = "AddonPlatformError";
  }
}

/**
 * node-llama-cpp's binary packages by platform-arch: `cpu` the CPU build, the others CPU plus that GPU
 * kind's (from its optionalDependencies and the loader in its compileLLamaCpp.js). On Apple silicon the
 * one package is the Metal build, which also runs on the CPU. CUDA comes in two packages: the build, and
 * `-ext` with the CUDA runtime libraries it needs unless the CUDA toolkit is installed.
 */
const BINARIES: Readonly<Record<string, Partial<Record<GpuKind, readonly string[]>>>> = {
  "linux-x64": { cpu: ["linux-x64"], cuda: ["linux-x64-cuda", "linux-x64-cuda-ext"], vulkan: ["linux-x64-vulkan"] },
  "linux-arm64": { cpu: ["linux-arm64"] },
  "linux-arm": { cpu: ["linux-armv7l"] },
  "linux-riscv64": { cpu: ["linux-riscv64"] },
  "darwin-arm64": { metal: ["mac-arm64-metal"] },
  "darwin-x64": { cpu: ["mac-x64"] },
  "win32-x64": { cpu: ["win-x64"], cuda: ["win-x64-cuda", "win-x64-cuda-ext"], vulkan: ["win-x64-vulkan"] },
  "win32-arm64": { cpu: ["win-arm64"] },
};

/** GPU kinds this platform has a prebuilt build for (always including its base build). */
export function gpuKindsFor(platform: string, arch: string): GpuKind[] {
  return GPU_KINDS.filter((k) => BINARIES[`${platform}-${arch}`]?.[k] !== undefined);
}

/** The base build of a platform: `cpu`, or `metal` on Apple silicon (whose Metal build is its CPU build too). */
export function baseKind(platform: string, arch: string): GpuKind {
  return gpuKindsFor(platform, arch)[0] ?? "cpu";
}

/**
 * The binary packages (full npm names) for a build on a platform: the base build first, then the GPU
 * kind's. Throws AddonPlatformError when node-llama-cpp has no such prebuilt build.
 */
export function binaryPackages(platform: string, arch: string, gpu: GpuKind): string[] {
  const builds = BINARIES[`${platform}-${arch}`];
  if (!builds) throw new AddonPlatformError(`node-llama-cpp has no prebuilt llama.cpp for ${platform}-${arch}: serve models through Ollama instead`);
  const kinds = gpuKindsFor(platform, arch);
  if (builds[gpu] === undefined) throw new AddonPlatformError(`no ${gpu} build of llama.cpp for ${platform}-${arch} (there: ${kinds.join(", ")})`);
  const base = builds[kinds[0] ?? "cpu"] ?? [];
  const extra = gpu === kinds[0] ? [] : (builds[gpu] ?? []);
  return [...base, ...extra].map((name) => `@node-llama-cpp/${name}`);
}

/** What the machine has, for `--gpu auto`. */
export interface GpuFacts {
  platform: string;
  arch: string;
  /** An NVIDIA driver is installed (libnvidia-ml found, as node-llama-cpp itself checks). */
  nvidia: boolean;
  /** A Vulkan loader is installed (libvulkan found). */
  vulkan: boolean;
}

/** The build to install: the one asked for, or with `auto` the best the drivers support (CUDA, then Vulkan, then the base build). */
export function chooseGpu(choice: GpuChoice, facts: GpuFacts): GpuKind {
  if (choice !== "auto") return choice;
  const kinds = gpuKindsFor(facts.platform, facts.arch);
  if (facts.nvidia && kinds.includes("cuda")) return "cuda";
  if (facts.vulkan && kinds.includes("vulkan")) return "vulkan";
  return baseKind(facts.platform, facts.arch);
}

/** The add-on directory's package.json: node-llama-cpp and the chosen binaries as plain dependencies, all pinned. */
export function addonManifest(version: string, packages: readonly string[]): Record<string, unknown> {
  return {
    name: "hearth-sidecar-llama-cpp",
    private: true,
    description: "The llama.cpp add-on of hearth-sidecar, written by `hearth-sidecar add llama-cpp`: node-llama-cpp with the prebuilt binaries this machine uses.",
    dependencies: Object.fromEntries(["node-llama-cpp", ...packages].map((name) => [name, version])),
  };
}

/**
 * `npm install` in the add-on directory. --omit=optional leaves out node-llama-cpp's other binary
 * packages (the chosen ones are direct dependencies, so they stay); --ignore-scripts skips its
 * postinstall, which would test the binaries and, failing that, download llama.cpp's source and
 * compile it — the sidecar never builds (getLlama build: "never").
 */
export const NPM_INSTALL_ARGS: readonly string[] = ["install", "--omit=optional", "--omit=peer", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"];

/**
 * Files of node-llama-cpp that only building llama.cpp from source reads — `llama/gitRelease.bundle`,
 * llama.cpp's source as a git bundle (34 MB of the 41 MB package at 3.22.1). Removed after install: the
 * sidecar runs prebuilt binaries only.
 */
export const SOURCE_ONLY_FILES: readonly string[] = ["node_modules/node-llama-cpp/llama/gitRelease.bundle"];

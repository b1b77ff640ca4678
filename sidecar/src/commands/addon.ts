/**
 * `hearth-sidecar add llama-cpp [--gpu auto|cpu|cuda|vulkan|metal]` and `hearth-sidecar remove llama-cpp`:
 * the llama.cpp add-on that GGUF models need (Ollama's do not), installed into the sidecar's data
 * directory with only the llama.cpp build this machine uses.
 */
import { defineCommand } from "citty";
import { addonDir } from "../addons/llama-cpp/location.js";
import { gpuFacts } from "../addons/llama-cpp/detect.js";
import { AddonInstallError, installAddon, removeAddon } from "../addons/llama-cpp/install.js";
import { AddonPlatformError, binaryPackages, buildName, chooseGpu, GPU_KINDS, type GpuChoice, type GpuFacts, type GpuKind } from "../addons/llama-cpp/packages.js";
import { llamaCpp, PINNED_LLAMA_CPP, type AddonRecord } from "../addons/llama-cpp/status.js";
import { formatBytes } from "../inspect/gguf.js";
import { exitAfter, print } from "./output.js";

/** Why `auto` chose what it chose, in words. */
export function autoReason(facts: GpuFacts, gpu: GpuKind): string {
  if (gpu === "cuda") return "an NVIDIA driver is installed";
  if (gpu === "vulkan") return "a Vulkan loader is installed (no NVIDIA driver)";
  if (gpu === "metal") return "Apple silicon";
  return facts.platform === "linux" ? "no NVIDIA driver or Vulkan loader found" : `the ${facts.platform}-${facts.arch} build`;
}

export class AddonUsageError extends Error {
  readonly code = "addon_usage";
  constructor(message: string) {
    super(message);
    this.name = "AddonUsageError";
  }
}

/** Installs the add-on as `add llama-cpp` does, telling `say` what it does; returns the record. */
export async function addLlamaCpp(choice: GpuChoice, say: (line: string) => Promise<void>, opts: { dryRun?: boolean; force?: boolean } = {}): Promise<AddonRecord | undefined> {
  const version = PINNED_LLAMA_CPP;
  if (version === undefined) {
    throw new AddonUsageError("run from a checkout, the sidecar uses the workspace's node-llama-cpp (pnpm install): the add-on is for the installed hearth-sidecar package");
  }
  const facts = await gpuFacts();
  const gpu = chooseGpu(choice, facts);
  const packages = binaryPackages(facts.platform, facts.arch, gpu);
  const dir = addonDir();
  const why = choice === "auto" ? ` (--gpu auto: ${autoReason(facts, gpu)})` : "";
  const there = await llamaCpp(dir, version);
  if (there.ok && there.from === "addon" && there.record.gpu === gpu && !opts.force) {
    await say(`the llama.cpp add-on is installed already: node-llama-cpp ${version}, ${buildName(gpu)} build, in ${dir} (--force installs it again)\n`);
    return there.record;
  }
  await say(`llama.cpp add-on: node-llama-cpp ${version} with the ${buildName(gpu)} build${why}: ${packages.join(", ")}\n  into ${dir}\n`);
  if (opts.dryRun) return undefined;
  const started = performance.now();
  const record = await installAddon({ dir, version, gpu, packages });
  await say(`installed in ${((performance.now() - started) / 1000).toFixed(1)} s: ${formatBytes(record.sizeBytes)} on disk. GGUF models can be served: restart the sidecar if it runs (\`hearth-sidecar service install\` restarts the service)\n`);
  return record;
}

const add = defineCommand({
  meta: { name: "llama-cpp", description: "Install node-llama-cpp with the llama.cpp build this machine needs (GGUF models need it; Ollama's do not)." },
  args: {
    gpu: { type: "string", default: "auto", description: `auto | ${GPU_KINDS.join(" | ")}: the build besides the CPU's (auto: CUDA with an NVIDIA driver, else Vulkan with a Vulkan loader, else CPU only; Metal on Apple silicon)` },
    "dry-run": { type: "boolean", description: "say what would be installed, install nothing" },
    force: { type: "boolean", description: "install again even when the same build is there" },
  },
  async run({ args }) {
    const choice = args.gpu as GpuChoice;
    if (choice !== "auto" && !GPU_KINDS.includes(choice)) return exitAfter(`--gpu must be auto, ${GPU_KINDS.join(", ")}; not '${args.gpu}'\n`, 2);
    try {
      await addLlamaCpp(choice, print, { dryRun: args["dry-run"], force: args.force });
    } catch (err) {
      if (err instanceof AddonUsageError || err instanceof AddonPlatformError) return exitAfter(`${err.message}\n`, 2);
      if (err instanceof AddonInstallError) return exitAfter(`${err.message}\nnothing was changed: the previous add-on, if any, is still there\n`, 1);
      throw err;
    }
  },
});

const remove = defineCommand({
  meta: { name: "llama-cpp", description: "Remove the llama.cpp add-on (GGUF models then cannot be served)." },
  async run() {
    const dir = addonDir();
    const freed = await removeAddon(dir);
    await print(freed > 0 ? `removed ${dir} (${formatBytes(freed)}); a config that lists GGUF models (models:) now stops the sidecar at start\n` : `no llama.cpp add-on in ${dir}\n`);
  },
});

export const addCommand = defineCommand({ meta: { name: "add", description: "Install an add-on: llama-cpp." }, subCommands: { "llama-cpp": add } });
export const removeCommand = defineCommand({ meta: { name: "remove", description: "Remove an add-on: llama-cpp." }, subCommands: { "llama-cpp": remove } });

/**
 * The facts `--gpu auto` decides on (packages.ts chooseGpu): is an NVIDIA driver or a Vulkan loader
 * installed. The same library files node-llama-cpp looks for, in the same places, without loading it.
 */
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { GpuFacts } from "./packages.js";

/** Library directories to search on Linux: LD_LIBRARY_PATH's, then the usual system ones. */
export function librarySearchPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean);
  return [...fromEnv, "/usr/lib", "/usr/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/local/cuda/lib64"];
}

async function anyExists(dirs: readonly string[], names: readonly string[]): Promise<boolean> {
  const checks = dirs.flatMap((d) => names.map((n) => access(join(d, n)).then(() => true, () => false)));
  return (await Promise.all(checks)).some(Boolean);
}

export async function gpuFacts(platform: string = process.platform, arch: string = process.arch, env: NodeJS.ProcessEnv = process.env): Promise<GpuFacts> {
  if (platform !== "linux") return { platform, arch, nvidia: false, vulkan: false };
  const dirs = librarySearchPaths(env);
  const [nvidia, vulkan] = await Promise.all([anyExists(dirs, ["libnvidia-ml.so", "libnvidia-ml.so.1"]), anyExists(dirs, ["libvulkan.so", "libvulkan.so.1"])]);
  return { platform, arch, nvidia, vulkan };
}

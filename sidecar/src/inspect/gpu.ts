/**
 * Which llama.cpp build this machine will use: the GPU types it could use (drivers found), and what
 * getLlama picks with prebuilt binaries only — the sidecar never compiles llama.cpp at run time.
 */
import { getLlama, getLlamaGpuTypes, LlamaLogLevel, type LlamaGpuType } from "node-llama-cpp";

export interface GpuReport {
  /** The build getLlama loaded: "cuda", "vulkan", "metal", or false for the CPU. Undefined: none loaded. */
  using: string | false | undefined;
  /** GPU types this machine's drivers support (getLlamaGpuTypes("supported")), without `false`. */
  supported: string[];
  vramBytes?: number;
  /** Why no build loaded, when none did. */
  error?: string;
  /** The config asked for the CPU (`gpu: off`). */
  off: boolean;
}

export async function inspectGpu(gpu: "auto" | "off"): Promise<GpuReport> {
  const types: LlamaGpuType[] = await getLlamaGpuTypes("supported").catch(() => []);
  const supported = types.flatMap((t) => (t === false ? [] : [t]));
  try {
    const llama = await getLlama({ gpu: gpu === "off" ? false : "auto", build: "never", logLevel: LlamaLogLevel.disabled });
    try {
      const vram = llama.gpu ? await llama.getVramState() : undefined;
      return { using: llama.gpu, supported, off: gpu === "off", ...(vram ? { vramBytes: vram.total } : {}) };
    } finally {
      await llama.dispose();
    }
  } catch (err) {
    return { using: undefined, supported, off: gpu === "off", error: err instanceof Error ? err.message : String(err) };
  }
}

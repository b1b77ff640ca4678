import { PROTOCOL_VERSION } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import {
  clockCheck,
  exitCodeOf,
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
  type Check,
} from "./checks.js";

const GB = 1e9;

describe("doctor's checks", () => {
  it("worker: reachable with its version; unreachable and non-200 fail with a fix", () => {
    expect(workerCheck({ ok: true, url: "https://h.dev", status: 200, ms: 12, body: { ok: true, version: "0.2.0" } })).toEqual({ id: "worker", status: "ok", detail: "https://h.dev answered in 12 ms (Hearth 0.2.0)" });
    const down = workerCheck({ ok: false, url: "https://h.dev", error: "ENOTFOUND" });
    expect(down.status).toBe("fail");
    expect(down.fix).toContain("curl https://h.dev/healthz");
    expect(workerCheck({ ok: true, url: "https://h.dev", status: 404, ms: 3, body: undefined }).status).toBe("fail");
  });

  it("version: within the Worker's range is ok; outside it names the side to upgrade; an older Worker is judged by its welcome", () => {
    const range = protocolOfHealth({ ok: true, version: "0.2.0", protocol: { min: 1, max: 2 } });
    expect(range).toEqual({ min: 1, max: 2 });
    expect(versionCheck(2, range, undefined, { sidecar: "0.2.0", worker: "0.2.0" }).status).toBe("ok");
    const old = versionCheck(1, { min: 2, max: 3 }, undefined, { sidecar: "0.1.0" });
    expect(old).toMatchObject({ status: "fail", fix: "upgrade the sidecar: npm i -g the hearth-sidecar tarball from `pnpm --filter @hearth/sidecar package` in the checkout you deploy" });
    expect(versionCheck(4, { min: 2, max: 3 }, undefined, { sidecar: "0.4.0" }).fix).toMatch(/^upgrade the worker/);
    expect(protocolOfHealth({ ok: true })).toBeUndefined();
    expect(versionCheck(PROTOCOL_VERSION, undefined, PROTOCOL_VERSION, { sidecar: "dev" }).status).toBe("ok");
    expect(versionCheck(PROTOCOL_VERSION, undefined, undefined, { sidecar: "dev" }).status).toBe("skip");
  });

  it("token: 401 fails with how to issue one; a 426 and a closed socket fail with their message", () => {
    const bad = tokenCheck({ ok: false, failure: "unauthorized", status: 401, message: "Invalid sidecar token." }, "/home/u/.config/hearth/sidecar.yaml");
    expect(bad).toMatchObject({ status: "fail", detail: "refused (401): Invalid sidecar token." });
    expect(bad.fix).toContain("--kind sidecar");
    expect(bad.fix).toContain("set `token:` in /home/u/.config/hearth/sidecar.yaml");
    expect(tokenCheck({ ok: false, failure: "unauthorized", status: 401, message: "x" }, undefined).fix).toContain("--token");
    expect(tokenCheck({ ok: false, failure: "refused", status: 426, message: "upgrade the sidecar" }, undefined)).toMatchObject({ status: "fail", fix: "upgrade the side the message names" });
    expect(tokenCheck({ ok: true, ms: 30, welcome: { t: "welcome", v: 1, heartbeatMs: 15_000 } }, undefined).status).toBe("ok");
    expect(tokenCheck(undefined, undefined).status).toBe("skip");
  });

  it("clock: within 30 s is ok, beyond warns with how to turn on time sync", () => {
    expect(clockCheck(400).detail).toContain("in step");
    expect(clockCheck(-29_000)).toMatchObject({ status: "ok", detail: "29 s behind the Worker's" });
    const off = clockCheck(125_000);
    expect(off.status).toBe("warn");
    expect(off.detail).toMatch(/^125 s ahead of the Worker's/);
    expect(off.fix).toContain("timedatectl set-ntp true");
    expect(clockCheck(undefined).status).toBe("skip");
  });

  it("gpu: the build in use; a supported GPU left unused warns; no build at all fails when GGUF models need one", () => {
    expect(gpuCheck({ using: "cuda", supported: ["cuda"], vramBytes: 8 * GB, off: false }, true)).toMatchObject({ status: "ok", detail: "CUDA, 8.0 GB VRAM" });
    expect(gpuCheck({ using: false, supported: [], off: false }, true).detail).toMatch(/^CPU: no CUDA, Vulkan or Metal driver/);
    expect(gpuCheck({ using: false, supported: ["cuda"], off: true }, true)).toMatchObject({ status: "ok", detail: "CPU: `gpu: off` in the config (this machine supports CUDA)" });
    const unused = gpuCheck({ using: false, supported: ["vulkan"], off: false }, true);
    expect(unused.status).toBe("warn");
    expect(unused.fix).toContain("`hearth-sidecar add llama-cpp --gpu vulkan`");
    expect(gpuCheck({ using: undefined, supported: [], off: false, error: "no binary" }, true).status).toBe("fail");
    expect(gpuCheck({ using: undefined, supported: [], off: false, error: "no binary" }, false).status).toBe("warn");
  });

  it("llama-cpp: the add-on and its build; missing fails only when GGUF models need it, naming the command", () => {
    const record = { version: "3.22.1", gpu: "cpu" as const, packages: ["@node-llama-cpp/linux-x64"], platform: "linux", arch: "x64", sizeBytes: 51e6, installedAt: "2026-12-01T00:00:00Z" };
    expect(llamaCppCheck({ ok: true, from: "addon", dir: "/d", record, entry: "/d/x.js" }, true)).toEqual({ id: "llama-cpp", status: "ok", detail: "add-on: node-llama-cpp 3.22.1, CPU build (@node-llama-cpp/linux-x64), 51.0 MB in /d" });
    expect(llamaCppCheck({ ok: true, from: "addon", dir: "/d", record: { ...record, gpu: "cuda" }, entry: "/d/x.js" }, true).detail).toContain("CPU + CUDA build");
    const missing = { ok: false as const, dir: "/d", problem: "missing" as const, why: "GGUF models need the llama.cpp add-on, which is not installed", message: "…" };
    expect(llamaCppCheck(missing, true)).toMatchObject({ status: "fail", detail: missing.why, fix: expect.stringMatching(/^`hearth-sidecar add llama-cpp`/) });
    expect(llamaCppCheck(missing, false)).toMatchObject({ status: "skip", detail: "no add-on: only GGUF models need it (`hearth-sidecar add llama-cpp`)" });
    expect(llamaCppCheck({ ok: true, from: "checkout" }, true).status).toBe("ok");
  });

  it("models: one row per file with size and context; unreadable files, missing paths and empty directories fail", () => {
    const rows = modelChecks(
      [
        { path: "/m/a.gguf", id: "a", ok: true, sizeBytes: 4.1 * GB, architecture: "llama", trainContext: 32768, tools: true, embedding: false, read: true },
        { path: "/m/b.gguf", id: "b", ok: false, error: "invalid magic" },
        { path: "/m/c.gguf", id: "c", ok: true, sizeBytes: 2 * GB, read: false },
      ],
      ["/m", "/gone"],
      ["/gone"],
      (train) => Math.min(train ?? 4096, 4096),
    );
    expect(rows.map((r) => [r.id, r.status])).toEqual([["path:/gone", "fail"], ["model:a", "ok"], ["model:b", "fail"], ["model:c", "skip"]]);
    expect(rows[3]?.detail).toBe("2.0 GB; its metadata is read with the llama.cpp add-on");
    expect(rows[1]?.detail).toBe("4.1 GB, context 32768 (runs with 4096), llama, chat, tools");
    expect(rows[2]?.fix).toContain("download it again");
    expect(modelChecks([], ["/empty"], [], () => 4096)).toMatchObject([{ id: "models", status: "fail" }]);
  });

  it("memory: a model larger than the budget fails, a budget above RAM warns, models that do not fit together are still ok", () => {
    const base = { budgetBytes: 12 * GB, configured: true, totalBytes: 16 * GB };
    expect(memoryCheck({ ...base, models: [{ id: "big", sizeBytes: 14 * GB }] })).toMatchObject({ status: "fail", detail: expect.stringContaining("big (14.0 GB) cannot load") });
    expect(memoryCheck({ ...base, budgetBytes: 20 * GB, models: [{ id: "a", sizeBytes: GB }] }).status).toBe("warn");
    expect(memoryCheck({ ...base, models: [{ id: "a", sizeBytes: 8 * GB }, { id: "b", sizeBytes: 8 * GB }] }).detail).toContain("not all at once");
    expect(memoryCheck({ ...base, configured: false, models: [{ id: "a", sizeBytes: GB }] }).detail).toBe("budget 12.0 GB (75% of RAM) of 16.0 GB RAM; models 1.0 GB together fit");
    expect(memoryCheck({ ...base, models: [] }).status).toBe("skip");
  });

  it("ollama: unreachable fails with how to start it, empty warns with a pull, models listed with context", () => {
    expect(ollamaCheck(undefined).status).toBe("skip");
    expect(ollamaCheck({ ok: false, url: "http://127.0.0.1:11434", error: "ECONNREFUSED" })).toMatchObject({ status: "fail", fix: expect.stringContaining("ollama serve") });
    expect(ollamaCheck({ ok: true, url: "http://o", models: [] })).toMatchObject({ status: "warn", fix: "pull one: `ollama pull llama3.2`" });
    expect(ollamaCheck({ ok: true, url: "http://o", models: [{ name: "llama3.2:latest", sizeBytes: 2e9 }] }, [{ id: "llama3.2:latest", contextLength: 131072 }]).detail).toBe("http://o: 1 model: llama3.2:latest (2.0 GB, context 131072)");
  });

  it("generation: time to first token and tokens/s, or the failure with a fix", () => {
    expect(generationCheck({ ok: true, model: "m", backend: "llama-cpp", ttftMs: 120, tokens: 32, tokensPerSecond: 41.25 }).detail).toBe("m (llama-cpp): first token in 120 ms, 41.3 tokens/s over 32 tokens");
    expect(generationCheck({ ok: false, model: "m", error: "out of memory" }).status).toBe("fail");
    expect(generationCheck({ skipped: "skipped (--no-generate)" }).status).toBe("skip");
  });

  it("the exit code is 1 only when a check failed", () => {
    const row = (status: Check["status"]): Check => ({ id: status, status, detail: "" });
    expect(exitCodeOf([row("ok"), row("warn"), row("skip")])).toBe(0);
    expect(exitCodeOf([row("ok"), row("fail")])).toBe(1);
  });
});

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addonDir, dataDir } from "./location.js";
import { judgeAddon, llamaCpp, type AddonRecord } from "./status.js";

const record: AddonRecord = { version: "3.22.1", gpu: "cpu", packages: ["@node-llama-cpp/linux-x64"], platform: "linux", arch: "x64", sizeBytes: 1, installedAt: "2026-12-01T00:00:00Z" };

describe("where the add-on lives", () => {
  it("is $XDG_DATA_HOME/hearth/llama-cpp, else ~/.local/share/hearth/llama-cpp", () => {
    expect(addonDir({ XDG_DATA_HOME: "/x" }, "/home/a")).toBe("/x/hearth/llama-cpp");
    expect(addonDir({}, "/home/a")).toBe("/home/a/.local/share/hearth/llama-cpp");
    expect(dataDir({ XDG_DATA_HOME: "relative" }, "/home/a")).toBe("/home/a/.local/share/hearth");
  });
});

describe("judgeAddon", () => {
  const installed = { version: "3.22.1", entry: "/d/node_modules/node-llama-cpp/dist/index.js" };
  it("is usable when installed at the pinned version", () => {
    expect(judgeAddon("3.22.1", "/d", record, installed)).toEqual({ ok: true, from: "addon", dir: "/d", record, entry: installed.entry });
  });
  it("says it is missing, in one line naming the command", () => {
    const r = judgeAddon("3.22.1", "/d", undefined, undefined);
    expect(r).toMatchObject({ ok: false, problem: "missing", message: "GGUF models need the llama.cpp add-on, which is not installed: run `hearth-sidecar add llama-cpp`" });
    expect(r.ok === false && r.message.includes("\n")).toBe(false);
  });
  it("says which version it has and which the sidecar needs", () => {
    expect(judgeAddon("3.22.1", "/d", record, { ...installed, version: "3.20.0" })).toMatchObject({ ok: false, problem: "version", why: "the llama.cpp add-on has node-llama-cpp 3.20.0, this sidecar needs 3.22.1" });
  });
  it("calls a half-removed add-on incomplete", () => {
    expect(judgeAddon("3.22.1", "/d", record, undefined)).toMatchObject({ ok: false, problem: "incomplete" });
  });
});

describe("llamaCpp, read from disk", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hearth-addon-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("from source, the checkout's node-llama-cpp", async () => expect(await llamaCpp(dir, undefined)).toEqual({ ok: true, from: "checkout" }));

  it("finds node-llama-cpp's ESM entry from its package.json", async () => {
    expect(await llamaCpp(dir, "3.22.1")).toMatchObject({ ok: false, problem: "missing" });
    const pkg = join(dir, "node_modules", "node-llama-cpp");
    await mkdir(pkg, { recursive: true });
    await writeFile(join(pkg, "package.json"), JSON.stringify({ version: "3.22.1", exports: { ".": { import: "./dist/index.js" } } }));
    await writeFile(join(dir, "addon.json"), JSON.stringify(record));
    expect(await llamaCpp(dir, "3.22.1")).toMatchObject({ ok: true, from: "addon", entry: join(pkg, "dist/index.js"), record });
  });
});

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddonInstallError, installAddon, removeAddon, sizeOf } from "./install.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "hearth-install-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("installing the add-on", () => {
  it("a failed npm install leaves the add-on that was there as it was, and no staging directory", async () => {
    const dir = join(root, "llama-cpp");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "addon.json"), '{"version":"old"}');
    // The real npm, told to use only an empty cache: it fails at once, without the network.
    const env = { ...process.env, npm_config_offline: "true", npm_config_cache: join(root, "empty-cache") };
    const attempt = installAddon({ dir, version: "3.22.1", gpu: "cpu", packages: ["@node-llama-cpp/linux-x64"], env });
    await expect(attempt).rejects.toBeInstanceOf(AddonInstallError);
    await expect(attempt).rejects.toThrow(/npm install failed/);
    expect(await readFile(join(dir, "addon.json"), "utf8")).toBe('{"version":"old"}');
    expect((await readdir(root)).filter((n) => n.includes("staging"))).toEqual([]);
  }, 60_000);

  it("says which npm it could not run", async () => {
    const attempt = installAddon({ dir: join(root, "x"), version: "3.22.1", gpu: "cpu", packages: [], npm: join(root, "no-such-npm") });
    await expect(attempt).rejects.toThrow(/could not run .*no-such-npm/);
  });

  it("removing reports the bytes freed, and 0 when nothing was there", async () => {
    const dir = join(root, "to-remove");
    await mkdir(join(dir, "node_modules"), { recursive: true });
    await writeFile(join(dir, "node_modules", "f"), "12345");
    expect(await sizeOf(dir)).toBe(5);
    expect(await removeAddon(dir)).toBe(5);
    expect(await removeAddon(dir)).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import { SHIM_INPUT, shimSource, staticChainTo, type MetafileOutputs } from "../../sidecar/build/addon-shim.js";
import { externalPackages, ManifestError, packageManifest, packageOf } from "../../sidecar/build/manifest.js";

const source = {
  version: "1.2.3",
  description: "d",
  license: "MIT",
  repository: { type: "git", url: "git+https://example.com/hearth.git", directory: "sidecar" },
  dependencies: { "@hearth/shared": "workspace:*", "node-llama-cpp": "3.22.1", ws: "8.23.0", zod: "4.6.7", unused: "1.0.0" },
};

describe("the installable package's manifest", () => {
  it("names packages from import specifiers, leaving out Node's built-ins", () => {
    expect(packageOf("@scope/name/sub/path")).toBe("@scope/name");
    expect(packageOf("zod/v4")).toBe("zod");
    expect(externalPackages(["node:fs", "fs", "ws", "zod/v4", "zod", "ollama"])).toEqual(["ollama", "ws", "zod"]);
  });

  it("depends on exactly what the bundle imports, at the sidecar's pinned versions, with what a publish needs", () => {
    const m = packageManifest(source, ["ws", "zod"]);
    expect(m).toMatchObject({
      name: "hearth-sidecar",
      version: "1.2.3",
      description: "d",
      license: "MIT",
      repository: source.repository,
      type: "module",
      bin: { "hearth-sidecar": "cli.js" },
      files: ["cli.js", "chunks/", "README.md", "LICENSE"],
      engines: { node: ">=20.19" },
    });
    expect(m.dependencies).toEqual({ ws: "8.23.0", zod: "4.6.7" });
  });

  it("never depends on node-llama-cpp: it is the llama.cpp add-on", () => {
    expect(() => packageManifest(source, ["node-llama-cpp", "ws"])).toThrow(/llama.cpp add-on/);
  });

  it("refuses an import the sidecar does not depend on, a workspace or range version, and a manifest npm would not publish", () => {
    expect(() => packageManifest(source, ["left-pad"])).toThrow(ManifestError);
    expect(() => packageManifest(source, ["@hearth/shared"])).toThrow(/pinned/);
    expect(() => packageManifest({ ...source, dependencies: { ws: "^8.0.0" } }, ["ws"])).toThrow(/pinned/);
    expect(() => packageManifest({ ...source, license: undefined }, ["ws"])).toThrow(/no license/);
    expect(() => packageManifest({ ...source, repository: undefined }, ["ws"])).toThrow(/no repository/);
  });
});

describe("node-llama-cpp through the add-on", () => {
  it("re-exports node-llama-cpp's names from the loader, skipping default and non-identifiers", () => {
    const src = shimSource("/s/load.ts", ["getLlama", "LlamaChat", "default", "not-a-name"]);
    expect(src).toContain('import { importLlamaCpp } from "/s/load.ts";');
    expect(src).toContain("const llamaCpp = await importLlamaCpp();");
    expect(src).toContain("export const { getLlama, LlamaChat } = llamaCpp;");
  });

  const out = (inputs: string[], imports: [string, string][] = []): MetafileOutputs[string] => ({ inputs: Object.fromEntries(inputs.map((i) => [i, {}])), imports: imports.map(([path, kind]) => ({ path, kind })) });

  it("finds the static chain from cli.js to the add-on, ignoring dynamic imports", () => {
    const light: MetafileOutputs = {
      "cli.js": out(["src/cli.ts"], [["chunks/shared.js", "import-statement"], ["chunks/llama.js", "dynamic-import"]]),
      "chunks/shared.js": out(["src/log.ts"]),
      "chunks/llama.js": out([SHIM_INPUT, "src/backends/llama-cpp/index.ts"]),
    };
    expect(staticChainTo(light, "cli.js", SHIM_INPUT)).toBeUndefined();
    const heavy: MetafileOutputs = { ...light, "chunks/shared.js": out(["src/log.ts"], [["chunks/llama.js", "import-statement"]]) };
    expect(staticChainTo(heavy, "cli.js", SHIM_INPUT)).toEqual(["cli.js", "chunks/shared.js", "chunks/llama.js"]);
  });
});

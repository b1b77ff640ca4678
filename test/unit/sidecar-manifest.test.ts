import { describe, expect, it } from "vitest";
import { externalPackages, ManifestError, packageManifest, packageOf } from "../../sidecar/build/manifest.js";

const source = { version: "1.2.3", description: "d", dependencies: { "@hearth/shared": "workspace:*", "node-llama-cpp": "3.22.1", ws: "8.23.0", zod: "4.6.7", unused: "1.0.0" } };

describe("the installable package's manifest", () => {
  it("names packages from import specifiers, leaving out Node's built-ins", () => {
    expect(packageOf("@scope/name/sub/path")).toBe("@scope/name");
    expect(packageOf("zod/v4")).toBe("zod");
    expect(externalPackages(["node:fs", "fs", "ws", "zod/v4", "zod", "node-llama-cpp"])).toEqual(["node-llama-cpp", "ws", "zod"]);
  });

  it("depends on exactly what the bundle imports, at the sidecar's pinned versions, with the hearth-sidecar bin", () => {
    const m = packageManifest(source, ["node-llama-cpp", "ws", "zod"]);
    expect(m).toMatchObject({ name: "hearth-sidecar", version: "1.2.3", type: "module", bin: { "hearth-sidecar": "cli.js" }, files: ["cli.js", "README.md"], engines: { node: ">=20.19" } });
    expect(m.dependencies).toEqual({ "node-llama-cpp": "3.22.1", ws: "8.23.0", zod: "4.6.7" });
    expect(m.config).toEqual({ nodeLlamaCppPostinstall: "skip" });
  });

  it("refuses an import the sidecar does not depend on, and a workspace or range version", () => {
    expect(() => packageManifest(source, ["left-pad"])).toThrow(ManifestError);
    expect(() => packageManifest(source, ["@hearth/shared"])).toThrow(/pinned/);
    expect(() => packageManifest({ ...source, dependencies: { ws: "^8.0.0" } }, ["ws"])).toThrow(/pinned/);
  });
});

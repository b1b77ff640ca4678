/**
 * The installable package's package.json, made from the sidecar's own: the bundle's external imports
 * become its dependencies, at the versions the sidecar pins. Pure, so the rules are tested alone.
 */
import { isBuiltin } from "node:module";

export interface SourceManifest {
  version: string;
  description?: string;
  dependencies?: Record<string, string>;
}

/** The npm package name of an import specifier: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

/** The packages a bundle leaves to npm: its external imports, less Node's built-in modules. */
export function externalPackages(imports: readonly string[]): string[] {
  return [...new Set(imports.filter((s) => !isBuiltin(s)).map(packageOf))].sort();
}

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ManifestError";
  }
}

/**
 * @param source the sidecar's package.json
 * @param externals packages the bundle imports at run time (externalPackages of its metafile)
 * @throws ManifestError when one of them is not a pinned dependency of the sidecar: bundled code must
 *   never import a package the installed tree would not have.
 */
export function packageManifest(source: SourceManifest, externals: readonly string[]): Record<string, unknown> {
  const dependencies: Record<string, string> = {};
  for (const name of externals) {
    const version = source.dependencies?.[name];
    if (version === undefined) throw new ManifestError(`the bundle imports '${name}', which is not a dependency of @hearth/sidecar`);
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) throw new ManifestError(`dependency '${name}' must be pinned to an exact version for the package, got '${version}'`);
    dependencies[name] = version;
  }
  return {
    name: "hearth-sidecar",
    version: source.version,
    description: source.description,
    type: "module",
    bin: { "hearth-sidecar": "cli.js" },
    files: ["cli.js", "README.md"],
    engines: { node: ">=20.19" },
    dependencies,
    // node-llama-cpp's postinstall would test its prebuilt binaries and, when none fits, download
    // llama.cpp's source and compile it: minutes, a toolchain, the network. The sidecar never builds at
    // run time (getLlama build: "never"), so an install that compiled would buy nothing; `doctor`
    // says which prebuilt binary (GPU or CPU) is used, or why none.
    config: { nodeLlamaCppPostinstall: "skip" },
  };
}

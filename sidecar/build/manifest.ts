/**
 * The installable package's package.json, made from the sidecar's own: the bundle's external imports
 * become its dependencies, at the versions the sidecar pins. Pure, so the rules are tested alone.
 */
import { isBuiltin } from "node:module";

export interface SourceManifest {
  version: string;
  description?: string;
  dependencies?: Record<string, string>;
  license?: string;
  repository?: { type: string; url: string; directory?: string };
  homepage?: string;
  bugs?: { url: string };
  keywords?: string[];
}

/** The package that is the llama.cpp add-on (`hearth-sidecar add llama-cpp`), never a dependency of the package itself. */
export const ADDON_PACKAGE = "node-llama-cpp";

/** Fields npm wants before a publish; the build refuses to make a package without them. */
const PUBLISH_FIELDS = ["description", "license", "repository"] as const;

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
  for (const field of PUBLISH_FIELDS) if (!source[field]) throw new ManifestError(`@hearth/sidecar's package.json has no ${field}: the package could not be published`);
  const dependencies: Record<string, string> = {};
  for (const name of externals) {
    if (name === ADDON_PACKAGE) throw new ManifestError(`the bundle imports '${name}' at start: it is the llama.cpp add-on, loaded from the data directory only when GGUF models are configured`);
    const version = source.dependencies?.[name];
    if (version === undefined) throw new ManifestError(`the bundle imports '${name}', which is not a dependency of @hearth/sidecar`);
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) throw new ManifestError(`dependency '${name}' must be pinned to an exact version for the package, got '${version}'`);
    dependencies[name] = version;
  }
  return {
    name: "hearth-sidecar",
    version: source.version,
    description: source.description,
    keywords: source.keywords,
    license: source.license,
    repository: source.repository,
    homepage: source.homepage,
    bugs: source.bugs,
    type: "module",
    bin: { "hearth-sidecar": "cli.js" },
    // chunks/: the parts loaded on demand (the llama.cpp backend, doctor's GPU probe).
    files: ["cli.js", "chunks/", "README.md", "LICENSE"],
    engines: { node: ">=20.19" },
    dependencies,
  };
}

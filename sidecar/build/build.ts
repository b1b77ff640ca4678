/**
 * Builds the installable `hearth-sidecar` package into sidecar/dist: the CLI and @hearth/shared bundled
 * into one plain-JavaScript file (no tsx at run time, so signals reach the sidecar itself), its
 * package.json (runtime dependencies left to npm, see manifest.ts) and a README.
 *
 *   pnpm --filter @hearth/sidecar build      → sidecar/dist/
 *   pnpm --filter @hearth/sidecar package    → also sidecar/dist-pack/hearth-sidecar-<version>.tgz (npm pack)
 */
import { build, type Plugin } from "esbuild";
import { execFile } from "node:child_process";
import { chmod, copyFile, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { externalPackages, packageManifest, type SourceManifest } from "./manifest.js";

const SIDECAR = resolve(import.meta.dirname, "..");

/** Every bare import is left to npm except the workspace's own code, which is bundled. */
const externalUnlessWorkspace: Plugin = {
  name: "external-unless-workspace",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("@hearth/") ? undefined : { path: args.path, external: true }));
  },
};

export interface BuiltPackage {
  dir: string;
  version: string;
  /** Packages npm installs with it. */
  dependencies: Record<string, string>;
  /** Bytes of the bundled cli.js. */
  bundleBytes: number;
}

/** Builds the package into `outDir` (default sidecar/dist), replacing what was there. */
export async function buildSidecarPackage(outDir = join(SIDECAR, "dist")): Promise<BuiltPackage> {
  const source = JSON.parse(await readFile(join(SIDECAR, "package.json"), "utf8")) as SourceManifest;
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const outfile = join(outDir, "cli.js");
  const result = await build({
    entryPoints: [join(SIDECAR, "src/cli.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
    define: { __HEARTH_SIDECAR_VERSION__: JSON.stringify(source.version) },
    plugins: [externalUnlessWorkspace],
    metafile: true,
    logLevel: "warning",
    legalComments: "none",
  });
  const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
  const manifest = packageManifest(source, externalPackages(imports));
  await writeFile(join(outDir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  await copyFile(join(SIDECAR, "build/PACKAGE-README.md"), join(outDir, "README.md"));
  await chmod(outfile, 0o755);
  return { dir: outDir, version: source.version, dependencies: manifest.dependencies as Record<string, string>, bundleBytes: (await stat(outfile)).size };
}

/** `npm pack`s a built package into `dest`; returns the tarball's path. */
export async function packSidecarPackage(dir: string, dest: string): Promise<string> {
  await mkdir(dest, { recursive: true });
  const { stdout } = await promisify(execFile)("npm", ["pack", dir, "--pack-destination", dest, "--silent"]);
  return join(dest, stdout.trim().split("\n").at(-1) ?? "");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const built = await buildSidecarPackage();
  process.stdout.write(`built hearth-sidecar ${built.version} in ${built.dir}: cli.js ${(built.bundleBytes / 1024).toFixed(0)} KiB; depends on ${Object.keys(built.dependencies).join(", ")}\n`);
  if (process.argv.includes("--pack")) {
    const tarball = await packSidecarPackage(built.dir, join(SIDECAR, "dist-pack"));
    process.stdout.write(`packed ${tarball} (${((await stat(tarball)).size / 1024).toFixed(0)} KiB): npm install -g ${tarball}\n`);
  }
}

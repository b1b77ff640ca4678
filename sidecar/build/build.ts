/**
 * Builds the installable `hearth-sidecar` package into sidecar/dist: the CLI and @hearth/shared bundled
 * into plain JavaScript (no tsx at run time, so signals reach the sidecar itself) — cli.js, and in
 * chunks/ what is imported on demand — its package.json (runtime dependencies left to npm, see
 * manifest.ts), a README and the licence. node-llama-cpp is not in it: it is the llama.cpp add-on
 * (`hearth-sidecar add llama-cpp`), reached through addon-shim.ts.
 *
 *   pnpm --filter @hearth/sidecar build      → sidecar/dist/
 *   pnpm --filter @hearth/sidecar package    → also sidecar/dist-pack/hearth-sidecar-<version>.tgz (npm pack)
 */
import { build, type Metafile, type Plugin } from "esbuild";
import { execFile } from "node:child_process";
import { chmod, copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { SHIM_INPUT, SHIM_NAMESPACE, shimSource, staticChainTo } from "./addon-shim.js";
import { ADDON_PACKAGE, externalPackages, ManifestError, packageManifest, type SourceManifest } from "./manifest.js";

const SIDECAR = resolve(import.meta.dirname, "..");

/** `node-llama-cpp` resolves to the module that loads it from the add-on (see addon-shim.ts). */
async function llamaCppAddon(): Promise<Plugin> {
  // The names to re-export: those of the workspace's node-llama-cpp, the version the add-on installs.
  const names = Object.keys(await import(ADDON_PACKAGE));
  const loader = join(SIDECAR, "src/addons/llama-cpp/load.ts");
  return {
    name: "llama-cpp-addon",
    setup(b) {
      b.onResolve({ filter: /^node-llama-cpp$/ }, () => ({ path: ADDON_PACKAGE, namespace: SHIM_NAMESPACE }));
      b.onLoad({ filter: /.*/, namespace: SHIM_NAMESPACE }, () => ({ contents: shimSource(loader, names), loader: "js", resolveDir: SIDECAR }));
    },
  };
}

/** Throws when starting cli.js would load node-llama-cpp: the light package must never touch it. */
function checkLight(metafile: Metafile, outDir: string): void {
  const entry = relative(process.cwd(), join(outDir, "cli.js"));
  const chain = staticChainTo(metafile.outputs, entry, SHIM_INPUT);
  if (chain) throw new ManifestError(`cli.js loads node-llama-cpp at start (${chain.join(" → ")}): import the llama.cpp backend with import() where GGUF models are configured`);
}

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
  /** The node-llama-cpp version the llama.cpp add-on installs. */
  llamaCpp: string;
  /** Bytes of the bundled JavaScript: cli.js and its chunks. */
  bundleBytes: number;
}

/** Builds the package into `outDir` (default sidecar/dist), replacing what was there. */
export async function buildSidecarPackage(outDir = join(SIDECAR, "dist")): Promise<BuiltPackage> {
  const source = JSON.parse(await readFile(join(SIDECAR, "package.json"), "utf8")) as SourceManifest;
  const llamaCpp = source.dependencies?.[ADDON_PACKAGE];
  if (!llamaCpp) throw new ManifestError(`@hearth/sidecar must depend on ${ADDON_PACKAGE}: its version is the add-on's`);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: { cli: join(SIDECAR, "src/cli.ts") },
    outdir: outDir,
    // Chunks: what cli.js imports with import() stays out of it until then (the llama.cpp backend).
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
    define: { __HEARTH_SIDECAR_VERSION__: JSON.stringify(source.version), __HEARTH_LLAMA_CPP_VERSION__: JSON.stringify(llamaCpp) },
    plugins: [await llamaCppAddon(), externalUnlessWorkspace],
    metafile: true,
    logLevel: "warning",
    legalComments: "none",
  });
  checkLight(result.metafile, outDir);
  const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
  const manifest = packageManifest(source, externalPackages(imports));
  await writeFile(join(outDir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  await copyFile(join(SIDECAR, "build/PACKAGE-README.md"), join(outDir, "README.md"));
  await copyFile(join(SIDECAR, "LICENSE"), join(outDir, "LICENSE"));
  await chmod(join(outDir, "cli.js"), 0o755);
  const js = [join(outDir, "cli.js"), ...(await readdir(join(outDir, "chunks")).catch(() => [])).map((f) => join(outDir, "chunks", f))];
  const bundleBytes = (await Promise.all(js.map((f) => stat(f).then((st) => st.size)))).reduce((a, b) => a + b, 0);
  return { dir: outDir, version: source.version, dependencies: manifest.dependencies as Record<string, string>, llamaCpp, bundleBytes };
}

/** `npm pack`s a built package into `dest`; returns the tarball's path. */
export async function packSidecarPackage(dir: string, dest: string): Promise<string> {
  await mkdir(dest, { recursive: true });
  const { stdout } = await promisify(execFile)("npm", ["pack", dir, "--pack-destination", dest, "--silent"]);
  return join(dest, stdout.trim().split("\n").at(-1) ?? "");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const built = await buildSidecarPackage();
  process.stdout.write(`built hearth-sidecar ${built.version} in ${built.dir}: ${(built.bundleBytes / 1024).toFixed(0)} KiB of JavaScript; depends on ${Object.keys(built.dependencies).join(", ")}; the llama.cpp add-on is node-llama-cpp ${built.llamaCpp}\n`);
  if (process.argv.includes("--pack")) {
    const tarball = await packSidecarPackage(built.dir, join(SIDECAR, "dist-pack"));
    process.stdout.write(`packed ${tarball} (${((await stat(tarball)).size / 1024).toFixed(0)} KiB): npm install -g ${tarball}\n`);
  }
}

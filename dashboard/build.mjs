/**
 * Builds the dashboard into dashboard/dist, the Worker's static assets ([assets] in wrangler.toml):
 * esbuild bundles src/main.ts (with uPlot and the CSS) into assets/app.js and assets/app.css, and the
 * HTML is copied as index.html (served at /) and dashboard.html (served at /dashboard).
 *
 * Run by wrangler itself ([build] in wrangler.toml) before `wrangler dev` and `wrangler deploy`, by
 * `pnpm install` (postinstall, so a fresh clone has the directory wrangler checks for), and by the e2e
 * harness. Several of those may run at once on one machine: files are written beside their place and
 * renamed into it, so a server reading dist/ never sees half a file, and only files that changed are.
 *
 *   node dashboard/build.mjs [--report]    --report prints each file's size and its gzip size
 */
import { build } from "esbuild";
import { mkdir, readFile, readdir, rename, rm, stat, writeFile, copyFile } from "node:fs/promises";
import { join, relative, dirname } from "node:path";
import { gzipSync } from "node:zlib";

const HERE = import.meta.dirname;
const SRC = join(HERE, "src");
const DIST = join(HERE, "dist");

async function files(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(path)));
    else out.push(path);
  }
  return out;
}

async function sameContent(a, b) {
  try {
    return (await readFile(a)).equals(await readFile(b));
  } catch {
    return false;
  }
}

/**
 * How this checkout's sidecar is installed, for the Home view's connect line: from the npm registry
 * once the package is published (sidecar/package.json `x-published`), else the tarball that
 * `pnpm --filter @hearth/sidecar package` makes of this checkout. scripts/deploy/sidecar-line.ts says the same.
 */
async function sidecarInstall() {
  const pkg = JSON.parse(await readFile(join(HERE, "../sidecar/package.json"), "utf8"));
  return pkg["x-published"] ? "npm install -g hearth-sidecar" : `npm install -g hearth-sidecar-${pkg.version}.tgz`;
}

async function main() {
  const stage = join(HERE, `.dist-${process.pid}`);
  await rm(stage, { recursive: true, force: true });
  try {
    await build({
      entryPoints: { "assets/app": join(SRC, "main.ts") },
      outdir: stage,
      bundle: true,
      minify: true,
      format: "esm",
      target: ["es2022", "chrome110", "firefox110", "safari16"],
      legalComments: "none",
      logLevel: "warning",
      define: { __HEARTH_SIDECAR_INSTALL__: JSON.stringify(await sidecarInstall()) },
    });
    const html = await readFile(join(SRC, "index.html"));
    await writeFile(join(stage, "index.html"), html);
    await writeFile(join(stage, "dashboard.html"), html);
    await copyFile(join(SRC, "_headers"), join(stage, "_headers"));
    for (const path of await files(stage)) {
      const to = join(DIST, relative(stage, path));
      // An unchanged file is left alone: a running `wrangler dev` watches dist/ and reloads on change,
      // and every e2e test file's wrangler dev runs this build as it starts.
      if (await sameContent(path, to)) continue;
      await mkdir(dirname(to), { recursive: true });
      await rename(path, to);
    }
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  if (process.argv.includes("--report")) await report();
}

async function report() {
  let raw = 0;
  let gz = 0;
  for (const path of (await files(DIST)).sort()) {
    const bytes = await readFile(path);
    const z = gzipSync(bytes, { level: 9 }).length;
    raw += (await stat(path)).size;
    gz += z;
    console.log(`${relative(DIST, path).padEnd(24)} ${String(bytes.length).padStart(8)} B  gzip ${String(z).padStart(7)} B`);
  }
  console.log(`${"total".padEnd(24)} ${String(raw).padStart(8)} B  gzip ${String(gz).padStart(7)} B`);
}

main().catch((err) => {
  console.error(`dashboard build failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

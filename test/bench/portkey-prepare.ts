/**
 * Prepares a copy of Portkey's open-source gateway (github:Portkey-AI/gateway, MIT licence) for
 * `pnpm bench --portkey DIR`, in a temporary directory outside this repository — never commit it.
 *
 *   1. Get the repository as a bare git directory (here: the library's `fetch` tool with
 *      github:Portkey-AI/gateway, which leaves it at /work/.mirror/Portkey-AI+gateway/repo).
 *   2. pnpm tsx test/bench/portkey-prepare.ts --git-dir /work/.mirror/Portkey-AI+gateway/repo [--out DIR]
 *      It checks that tag v1.15.2 is version 1.15.2 under the MIT licence, extracts the files the
 *      Worker needs (`git archive v1.15.2 src plugins conf.json package.json package-lock.json patches
 *      LICENSE wrangler.toml tsconfig.json | tar -x -C DIR` — the whole tree fails on the mirror's
 *      absent notebook blobs), runs `npm ci --omit=dev --ignore-scripts` (its devDependencies hold
 *      wrangler 3, jest and rollup, none needed: the bench runs it with this workspace's wrangler) and
 *      applies its patch-package patches that touch installed packages (async-retry), as its
 *      postinstall would. Prints DIR.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { promisify } from "node:util";
import { ROOT } from "../support/wrangler.js";

const run = promisify(execFile);

const { values } = parseArgs({
  options: {
    "git-dir": { type: "string", default: "/work/.mirror/Portkey-AI+gateway/repo" },
    ref: { type: "string", default: "v1.15.2" },
    version: { type: "string", default: "1.15.2" },
    out: { type: "string" },
  },
});

const FILES = ["src", "plugins", "conf.json", "package.json", "package-lock.json", "patches", "LICENSE", "wrangler.toml", "tsconfig.json"];

const git = (gitDir: string, ...args: string[]) => run("git", ["--git-dir", gitDir, ...args], { maxBuffer: 64 << 20 }).then((r) => r.stdout);

const exitCode = (child: ReturnType<typeof spawn>) =>
  new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once("exit", r)));

async function extract(gitDir: string, ref: string, out: string): Promise<void> {
  const archive = spawn("git", ["--git-dir", gitDir, "archive", ref, ...FILES], { stdio: ["ignore", "pipe", "inherit"] });
  const tar = spawn("tar", ["-x", "-C", out], { stdio: [archive.stdout, "inherit", "inherit"] });
  const [a, t] = await Promise.all([exitCode(archive), exitCode(tar)]);
  if (a !== 0 || t !== 0) throw new Error(`git archive ${ref} | tar -x failed (git ${a}, tar ${t})`);
}

/** Applies the patches (patch-package's format, a/node_modules/<pkg>/…) whose package is installed. */
async function applyPatches(out: string): Promise<string[]> {
  const dir = join(out, "patches");
  if (!existsSync(dir)) return [];
  const applied: string[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".patch")).sort()) {
    const text = await readFile(join(dir, file), "utf8");
    const target = /^diff --git a\/(node_modules\/(?:@[^/]+\/)?[^/]+)\//m.exec(text)?.[1];
    if (!target || !existsSync(join(out, target))) continue;
    await run("git", ["apply", "-p1", join("patches", file)], { cwd: out });
    applied.push(file);
  }
  return applied;
}

async function main(): Promise<void> {
  const gitDir = resolve(values["git-dir"]);
  const ref = values.ref;
  const commit = (await git(gitDir, "rev-parse", `${ref}^{commit}`)).trim();
  const pkg = JSON.parse(await git(gitDir, "show", `${commit}:package.json`)) as { version: string; license: string };
  if (pkg.version !== values.version) throw new Error(`${ref} (${commit}) is version ${pkg.version}, not ${values.version}`);
  const licence = await git(gitDir, "show", `${commit}:LICENSE`);
  if (pkg.license !== "MIT" || !licence.startsWith("MIT License")) throw new Error(`${ref} is not MIT-licensed (package.json says ${pkg.license})`);

  const out = values.out ? resolve(values.out) : await mkdtemp(join(tmpdir(), `portkey-${pkg.version}-`));
  if (!relative(ROOT, out).startsWith("..")) throw new Error(`${out} is inside this repository: Portkey's code must stay out of it`);
  await mkdir(out, { recursive: true });
  await extract(gitDir, commit, out);
  await run("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: out, maxBuffer: 64 << 20 });
  const patched = await applyPatches(out);
  process.stdout.write(
    `Portkey gateway ${pkg.version} (${commit}, MIT) prepared in ${out}` +
      `${patched.length ? `; patches applied: ${patched.join(", ")}` : ""}\n` +
      `Run: pnpm bench --portkey ${out}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`portkey-prepare failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

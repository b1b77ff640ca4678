/**
 * Runs a Worker in Miniflare directly, without `wrangler dev`'s proxy in front of it: the same workerd
 * (the miniflare version wrangler itself depends on), the same bundle `wrangler deploy` would upload,
 * real Durable Objects, D1 and WebSockets, on a real HTTP port. For benchmarks that compare Hearth
 * with an empty Worker on the footing of the runtime alone.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";
import { workerdPids } from "./process-tree.js";
import { ROOT, freePort } from "./wrangler.js";

const run = promisify(execFile);
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const QUIET_ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", NO_COLOR: "1" };

export interface MiniflareWorkerOptions {
  /** Vars and secrets. */
  vars?: Record<string, string>;
  /** Per-user rate limit (requests per 60 s). Default: 1,000,000 (out of the way). */
  rateLimitPerMinute?: number;
  /** An alternative entry without Hearth's bindings (the benchmark's pass-through floor). Default: Hearth's. */
  main?: string;
  /** For an alternative entry: its Durable Object bindings (binding name → class name). */
  durableObjects?: Record<string, string>;
  /** Serve the Chrome DevTools Protocol on this port (for CPU profiles). Default: none. */
  inspectorPort?: number;
}

export interface MiniflareWorker {
  url: string;
  /** The workerd process serving it (for CPU and memory readings), when it could be told apart. */
  pid: number | undefined;
  /** The bundle it runs (for reading profiles against). */
  scriptPath: string;
  adminToken: string;
  createUser(name?: string, policy?: object): Promise<{ id: string; name: string; apiKey: string; sidecarToken: string }>;
  stop(): Promise<void>;
}

/**
 * wrangler.toml's compatibility settings and [vars], so both harnesses run the same runtime and
 * configuration. (wrangler's own config reader would also read the developer's .dev.vars secrets.)
 */
async function fromToml(): Promise<{ compatibilityDate: string; compatibilityFlags: string[]; vars: Record<string, string> }> {
  const toml = await readFile(join(ROOT, "wrangler.toml"), "utf8");
  const date = /^compatibility_date = "(.+)"$/m.exec(toml)?.[1];
  const flags = /^compatibility_flags = \[(.*)\]$/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  const section = /^\[vars\]\n([\s\S]*?)(?=^\[)/m.exec(toml)?.[1] ?? "";
  const vars = Object.fromEntries([...section.matchAll(/^(\w+) = "(.*)"$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]));
  return { compatibilityDate: date, compatibilityFlags: [...(flags ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? ""), vars };
}

/** The bundle `wrangler deploy` would upload, written under `dir`; returns its path. */
async function bundle(main: string | undefined, dir: string, compat: { compatibilityDate: string; compatibilityFlags: string[] }): Promise<string> {
  let config = join(ROOT, "wrangler.toml");
  if (main) {
    // Another entry gets a config of its own: Hearth's names bindings (its Durable Object) that entry lacks.
    config = join(dir, "wrangler.json");
    await writeFile(config, JSON.stringify({ name: "floor", main, compatibility_date: compat.compatibilityDate, compatibility_flags: compat.compatibilityFlags }));
  }
  const outdir = join(dir, "dist");
  await run(WRANGLER, ["deploy", "--dry-run", "--outdir", outdir, "-c", config], { env: QUIET_ENV, cwd: ROOT });
  // wrangler names the bundle after the entry file.
  return join(outdir, main ? basename(main).replace(/\.ts$/, ".js") : "index.js");
}

/** Creates Hearth's tables in the (in-memory) D1 database. */
async function migrate(mf: Miniflare): Promise<void> {
  const db = await mf.getD1Database("DB");
  const dir = join(ROOT, "migrations");
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort()) {
    const sql = (await readFile(join(dir, file), "utf8")).replace(/--.*$/gm, "");
    const statements = sql.split(";").map((s) => s.trim()).filter(Boolean);
    await db.batch(statements.map((s) => db.prepare(s)));
  }
}

export async function startMiniflareWorker(opts: MiniflareWorkerOptions = {}): Promise<MiniflareWorker> {
  const dir = await mkdtemp(join(tmpdir(), "hearth-mf-"));
  const adminToken = `admin-${Math.random().toString(36).slice(2)}`;
  const { compatibilityDate, compatibilityFlags, vars } = await fromToml();
  const scriptPath = await bundle(opts.main, dir, { compatibilityDate, compatibilityFlags }).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  const port = await freePort();
  const hearth = !opts.main;
  const runtimesBefore = new Set(workerdPids());
  const mf = new Miniflare({
    host: "127.0.0.1",
    port,
    modules: true,
    modulesRoot: dirname(scriptPath),
    scriptPath,
    compatibilityDate,
    compatibilityFlags,
    bindings: { ...vars, HEARTH_ADMIN_TOKEN: adminToken, ...opts.vars },
    ...(opts.inspectorPort ? { inspectorPort: opts.inspectorPort } : {}),
    ...(hearth
      ? {
          d1Databases: { DB: "hearth" },
          durableObjects: { SIDECAR_HUB: { className: "SidecarHub", useSQLite: true } },
          ratelimits: { RATE_LIMITER: { simple: { limit: opts.rateLimitPerMinute ?? 1_000_000, period: 60 } } },
        }
      : opts.durableObjects
        ? { durableObjects: Object.fromEntries(Object.entries(opts.durableObjects).map(([b, className]) => [b, { className, useSQLite: true }])) }
        : {}),
  });
  const stop = async () => {
    await mf.dispose();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await mf.ready;
    if (hearth) await migrate(mf);
  } catch (err) {
    await stop();
    throw err;
  }
  const url = `http://127.0.0.1:${port}`;
  // Started one at a time, an instance's workerd is the one that was not there before it.
  const started = workerdPids().filter((p) => !runtimesBefore.has(p));
  return {
    url,
    pid: started.length === 1 ? started[0] : undefined,
    scriptPath,
    adminToken,
    async createUser(name = "bench-user", policy?: object) {
      const r = await fetch(`${url}/admin/users`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name, ...(policy ? { policy } : {}) }),
      });
      if (r.status !== 201) throw new Error(`create user: ${r.status} ${await r.text()}`);
      return (await r.json()) as { id: string; name: string; apiKey: string; sidecarToken: string };
    },
    stop,
  };
}

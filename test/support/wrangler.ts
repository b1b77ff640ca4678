/**
 * Starts the real Worker under `wrangler dev` for end-to-end tests and benchmarks, isolated from the
 * developer's own state: a temporary copy of wrangler.toml (so its own .dev.vars), its own D1
 * persistence directory with migrations applied, a free port on 127.0.0.1.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

export const ROOT = resolve(import.meta.dirname, "../..");
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const run = promisify(execFile);

export interface WorkerOptions {
  /** Secrets and vars for this run (written to the temporary .dev.vars). */
  vars?: Record<string, string>;
  /** Replace the wrangler.toml rate limit (requests per 60 s). Default: as configured. */
  rateLimitPerMinute?: number;
  /** Replace the dashboard sign-in limit (attempts per client address per 60 s). Default: as configured. */
  loginLimitPerMinute?: number;
  /** Path of an alternative Worker entry (for the benchmark's pass-through floor). Default: Hearth's. */
  main?: string;
}

export interface RunningWorker {
  url: string;
  adminToken: string;
  /** Create a user through the admin API; returns its id, API key and sidecar token. */
  createUser(name?: string, policy?: object): Promise<{ id: string; name: string; apiKey: string; sidecarToken: string }>;
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  /** What wrangler dev printed so far (for debugging a failing test; the last few million characters). */
  output(): string;
  /** How many bytes wrangler dev printed in all. */
  printed(): number;
  /** Stop wrangler dev and start it again on the same port with the same state (a deploy, as sidecars see it). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? res(addr.port) : rej(new Error("no port"))));
    });
  });
}

const QUIET_ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  NO_COLOR: "1",
};

/** Removes TOML tables with these headers (each runs to the next blank line or header). */
function dropTables(toml: string, headers: string[]): string {
  const out: string[] = [];
  let dropping = false;
  for (const line of toml.split("\n")) {
    const t = line.trim();
    if (t.startsWith("[")) dropping = headers.includes(t);
    else if (t === "") dropping = false;
    if (!dropping) out.push(line);
  }
  return out.join("\n");
}

async function writeConfig(dir: string, opts: WorkerOptions): Promise<string> {
  let toml = await readFile(join(ROOT, "wrangler.toml"), "utf8");
  toml = toml
    .replace(/^main = ".*"$/m, `main = ${JSON.stringify(opts.main ?? join(ROOT, "worker/src/index.ts"))}`)
    .replace(/^migrations_dir = ".*"$/m, `migrations_dir = ${JSON.stringify(join(ROOT, "migrations"))}`)
    // The dashboard: built by wrangler's [build] step as for `wrangler dev`, into the repository's
    // dashboard/dist (the build writes atomically, so parallel runs are safe); no file watcher.
    .replace(/^command = "node dashboard\/build\.mjs"$/m, `command = ${JSON.stringify(`node ${join(ROOT, "dashboard/build.mjs")}`)}`)
    .replace(/^watch_dir = ".*"\n/m, "")
    .replace(/^directory = "dashboard\/dist"$/m, `directory = ${JSON.stringify(join(ROOT, "dashboard/dist"))}`);
  if (opts.main) {
    // Another entry (the benchmark's floor) does not export Hearth's Durable Object: drop its binding.
    toml = dropTables(toml, ["[[durable_objects.bindings]]", "[[migrations]]"]);
  }
  if (opts.rateLimitPerMinute !== undefined) {
    toml = toml.replace(/simple = \{ limit = \d+, period = 60 \}/, `simple = { limit = ${opts.rateLimitPerMinute}, period = 60 }`);
  }
  if (opts.loginLimitPerMinute !== undefined) {
    toml = toml.replace(/(name = "LOGIN_LIMITER"\nnamespace_id = "\d+"\n)simple = \{ limit = \d+, period = 60 \}/, `$1simple = { limit = ${opts.loginLimitPerMinute}, period = 60 }`);
  }
  const path = join(dir, "wrangler.toml");
  await writeFile(path, toml);
  return path;
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + 45_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log()}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`wrangler dev did not become ready:\n${log()}`);
}

function spawnDev(config: string, dir: string, state: string, port: number, inspector: number) {
  const child = spawn(
    WRANGLER,
    ["dev", "-c", config, "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state,
      "--inspector-port", String(inspector), "--show-interactive-dev-session=false", "--log-level", "warn"],
    { env: QUIET_ENV, cwd: dir, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let output = "";
  let printed = 0;
  const keep = (d: Buffer) => {
    printed += d.length;
    output += d.toString();
    // A Worker that logs per request under a bench's load once passed V8's longest string: keep the tail.
    if (output.length > OUTPUT_KEPT) output = output.slice(-OUTPUT_KEPT / 2);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { child, output: () => output, printed: () => printed };
}

/** How much of wrangler dev's output is kept (characters): the last 4–8 M. */
const OUTPUT_KEPT = 8_000_000;

async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || !child.pid) return;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(-child.pid, "SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
}

export async function startWorker(opts: WorkerOptions = {}): Promise<RunningWorker> {
  const dir = await mkdtemp(join(tmpdir(), "hearth-e2e-"));
  const adminToken = `admin-${Math.random().toString(36).slice(2)}`;
  const vars = { HEARTH_ADMIN_TOKEN: adminToken, ...opts.vars };
  const config = await writeConfig(dir, opts);
  await writeFile(join(dir, ".dev.vars"), Object.entries(vars).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
  const state = join(dir, "state");
  await run(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "-c", config, "--persist-to", state], { env: QUIET_ENV, cwd: dir });
  const port = await freePort();
  const inspector = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let dev = spawnDev(config, dir, state, port, inspector);
  const stop = async () => {
    await killGroup(dev.child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, dev.child, dev.output);
  } catch (err) {
    await stop();
    throw err;
  }
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${url}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return {
    url,
    adminToken,
    admin,
    async createUser(name = "test-user", policy?: object) {
      const r = await admin("POST", "/users", { name, ...(policy ? { policy } : {}) });
      if (r.status !== 201) throw new Error(`create user: ${r.status} ${await r.text()}`);
      return (await r.json()) as { id: string; name: string; apiKey: string; sidecarToken: string };
    },
    output: () => dev.output(),
    printed: () => dev.printed(),
    async restart() {
      await killGroup(dev.child);
      dev = spawnDev(config, dir, state, port, inspector);
      await waitReady(url, dev.child, dev.output);
    },
    stop,
  };
}

/** Worker vars pointing Hearth's cloud providers at the fake servers (Anthropic's only when given). */
export function cloudVars(openai: { url: string }, anthropic?: { url: string; apiKey: string }): Record<string, string> {
  return {
    OPENAI_API_KEY: "test-openai-key",
    OPENAI_BASE_URL: `${openai.url}/v1`,
    ...(anthropic ? { ANTHROPIC_API_KEY: anthropic.apiKey, ANTHROPIC_BASE_URL: anthropic.url } : {}),
  };
}

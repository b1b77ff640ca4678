/**
 * What `pnpm run deploy` asks of Cloudflare, through wrangler: `cloudflareAccount` does it for real
 * (wrangler logged in), `localRehearsal` does every step on this machine — a local D1 (wrangler's
 * --local), the secrets in an .env file, `wrangler deploy --dry-run` (the real bundle and config
 * checks, nothing uploaded) and `wrangler dev` serving the result — so the whole command can run
 * without an account, in tests and by an operator who wants to see it first.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { deployedUrl, type Database } from "./decide.js";

const ROOT = resolve(import.meta.dirname, "../..");
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const QUIET = { WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", NO_COLOR: "1" };

export interface Cloud {
  /** Where it deploys, in words. */
  readonly where: string;
  /** Throws, saying what to do, when it cannot deploy (wrangler not logged in). */
  ready(): Promise<void>;
  /** D1 databases on the account. */
  databases(): Promise<Database[]>;
  createDatabase(name: string): Promise<void>;
  /** `wrangler d1 migrations list`'s output for the DB binding. */
  listMigrations(): Promise<string>;
  applyMigrations(): Promise<void>;
  /** The Worker's secret names; undefined when the Worker does not exist yet. */
  secretNames(): Promise<string[] | undefined>;
  /** Deploys with these secrets added (others are kept); returns the Worker's URL. */
  deploy(secrets: Record<string, string>): Promise<string>;
  /** Stops what it started. */
  close(): Promise<void>;
}

export class WranglerError extends Error {
  readonly code = "wrangler_failed";
  constructor(args: string[], output: string) {
    super(`wrangler ${args.join(" ")} failed:\n${output.trim().split("\n").slice(-12).join("\n")}`);
    this.name = "WranglerError";
  }
}

/** Runs wrangler to its end with the given config; rejects with its output when it fails. */
function wrangler(config: string, args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  const full = [...args, "-c", config];
  return new Promise((resolve, reject) => {
    execFile(WRANGLER, full, { cwd: dirname(config), env: { ...process.env, ...QUIET, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new WranglerError(args, `${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** Runs `wrangler deploy` with an output file; returns its stdout and the file's lines. */
async function deployWith(config: string, args: string[]): Promise<{ stdout: string; outputFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), "hearth-deploy-"));
  try {
    const file = join(dir, "output.ndjson");
    const { stdout } = await wrangler(config, args.map((a) => a.replace("{dir}", dir)), { WRANGLER_OUTPUT_FILE_PATH: file });
    return { stdout, outputFile: await readFile(file, "utf8").catch(() => "") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A temporary secrets file for `wrangler deploy --secrets-file` (.env format), removed after. */
async function withSecretsFile<T>(secrets: Record<string, string>, f: (args: string[]) => Promise<T>): Promise<T> {
  if (Object.keys(secrets).length === 0) return f([]);
  const dir = await mkdtemp(join(tmpdir(), "hearth-secrets-"));
  const file = join(dir, "secrets.json");
  try {
    await writeFile(file, JSON.stringify(secrets), { mode: 0o600 });
    return await f(["--secrets-file", file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The account wrangler is logged in to. */
export function cloudflareAccount(config: string): Cloud {
  return {
    where: "your Cloudflare account (wrangler's login)",
    async ready() {
      const { stdout } = await wrangler(config, ["whoami"]).catch(() => ({ stdout: "" }));
      if (!/You are logged in/.test(stdout)) {
        throw new WranglerError(["whoami"], "wrangler is not logged in to a Cloudflare account: run `pnpm exec wrangler login` (or set CLOUDFLARE_API_TOKEN), then deploy again");
      }
    },
    async databases() {
      const { stdout } = await wrangler(config, ["d1", "list", "--json"]);
      const list = JSON.parse(stdout.slice(stdout.indexOf("["))) as { uuid: string; name: string }[];
      return list.map((d) => ({ name: d.name, id: d.uuid }));
    },
    async createDatabase(name) {
      await wrangler(config, ["d1", "create", name]);
    },
    listMigrations: async () => (await wrangler(config, ["d1", "migrations", "list", "DB", "--remote"])).stdout,
    async applyMigrations() {
      await wrangler(config, ["d1", "migrations", "apply", "DB", "--remote"]);
    },
    async secretNames() {
      try {
        const { stdout } = await wrangler(config, ["secret", "list", "--format", "json"]);
        return (JSON.parse(stdout.slice(stdout.indexOf("["))) as { name: string }[]).map((s) => s.name);
      } catch (err) {
        if (err instanceof WranglerError && /not found/i.test(err.message)) return undefined;
        throw err;
      }
    },
    async deploy(secrets) {
      const { stdout, outputFile } = await withSecretsFile(secrets, (extra) => deployWith(config, ["deploy", ...extra]));
      const url = deployedUrl(outputFile, stdout);
      if (!url) throw new WranglerError(["deploy"], `deployed, but wrangler printed no URL:\n${stdout}`);
      return url;
    },
    close: async () => {},
  };
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? res(addr.port) : rej(new Error("no port"))));
    });
  });
}

/** Parses a KEY=value file. */
function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m?.[1]) out[m[1]] = m[2] ?? "";
  }
  return out;
}

/**
 * Every step on this machine, its state in `stateDir`: databases.json (the databases "on the
 * account"), wrangler/ (local D1), secrets.env (the Worker's secrets), deployed (the Worker exists).
 */
export function localRehearsal(config: string, stateDir: string): Cloud {
  const persist = ["--persist-to", join(stateDir, "wrangler")];
  const registry = join(stateDir, "databases.json");
  const secretsFile = join(stateDir, "secrets.env");
  const deployed = join(stateDir, "deployed");
  let dev: ChildProcess | undefined;
  const readRegistry = async () => (JSON.parse(await readFile(registry, "utf8").catch(() => "[]")) as Database[]);
  return {
    where: `this machine (a rehearsal: local D1 and secrets in ${stateDir}, wrangler deploy --dry-run, wrangler dev)`,
    ready: async () => {},
    databases: readRegistry,
    async createDatabase(name) {
      await mkdir(stateDir, { recursive: true });
      await writeFile(registry, JSON.stringify([...(await readRegistry()), { name, id: randomUUID() }], null, 2));
    },
    listMigrations: async () => (await wrangler(config, ["d1", "migrations", "list", "DB", "--local", ...persist])).stdout,
    async applyMigrations() {
      await wrangler(config, ["d1", "migrations", "apply", "DB", "--local", ...persist]);
    },
    async secretNames() {
      if (!existsSync(deployed)) return undefined;
      return Object.keys(parseEnv(await readFile(secretsFile, "utf8").catch(() => "")));
    },
    async deploy(secrets) {
      // The real bundle and config checks of a deploy, nothing uploaded.
      await withSecretsFile(secrets, (extra) => deployWith(config, ["deploy", "--dry-run", "--outdir", "{dir}/bundle", ...extra]));
      const lines = Object.entries(secrets).map(([k, v]) => `${k}=${v}\n`).join("");
      await mkdir(stateDir, { recursive: true });
      await writeFile(secretsFile, (await readFile(secretsFile, "utf8").catch(() => "")) + lines, { mode: 0o600 });
      await writeFile(deployed, new Date().toISOString());
      const port = await freePort();
      const args = ["dev", "-c", config, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()), ...persist, "--env-file", secretsFile, "--show-interactive-dev-session=false", "--log-level", "warn"];
      dev = spawn(WRANGLER, args, { cwd: dirname(config), env: { ...process.env, ...QUIET }, stdio: "ignore", detached: true });
      return `http://127.0.0.1:${port}`;
    },
    async close() {
      if (!dev?.pid || dev.exitCode !== null) return;
      const exited = new Promise((r) => dev?.once("exit", r));
      process.kill(-dev.pid, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (dev.exitCode === null && dev.signalCode === null) process.kill(-dev.pid, "SIGKILL");
    },
  };
}

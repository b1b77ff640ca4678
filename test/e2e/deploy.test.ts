/**
 * `pnpm run deploy` end to end, as far as a machine without a Cloudflare account allows: the command's
 * own rehearsal mode (`--local`) runs every step — the D1 database made and its id written into (a copy
 * of) wrangler.toml, the migrations applied to a local D1, the admin token generated, the Worker bundled
 * by `wrangler deploy --dry-run` and served by `wrangler dev`, the first user created — then prints the
 * dashboard URL, the API key and the sidecar's line, which must work. A second run must change nothing.
 * What only an account can show (wrangler d1 create/list, secret list, the real upload and its URL) is
 * parsed by functions unit-tested in test/unit/deploy.test.ts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { configuredDatabase, PLACEHOLDER_ID } from "../../scripts/deploy/decide.js";
import { ROOT } from "../support/wrangler.js";

let state: string;
const children: ChildProcess[] = [];

/** Runs `pnpm run deploy --local …`; resolves at its exit, or once `until` matches its output (it keeps running). */
function deploy(args: string[], until?: RegExp, env: Record<string, string> = {}): Promise<{ code: number | null; output: string; child: ChildProcess }> {
  const child = spawn("pnpm", ["run", "--silent", "deploy", "--local", "--state-dir", state, ...args], {
    cwd: ROOT,
    env: { ...process.env, OPENAI_API_KEY: "", ANTHROPIC_API_KEY: "", HEARTH_ADMIN_TOKEN: "", NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  children.push(child);
  let output = "";
  return new Promise((resolve) => {
    const check = () => {
      if (until?.test(output)) resolve({ code: null, output, child });
    };
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
      check();
    });
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    child.on("exit", (code) => resolve({ code, output, child }));
  });
}

function stop(child: ChildProcess): Promise<unknown> {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(-child.pid, "SIGTERM");
  return Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
}

beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), "hearth-deploy-"));
});

afterAll(async () => {
  await Promise.all(children.map(stop));
  if (state) await rm(state, { recursive: true, force: true });
});

describe("pnpm run deploy (rehearsed on this machine)", () => {
  let first: Awaited<ReturnType<typeof deploy>>;

  it("does every step the first time and prints the URL, the API key and the sidecar line", async () => {
    const started = performance.now();
    first = await deploy(["--yes", "--user", "alice", "--keep-running"], /serving until Ctrl-C/);
    console.info(`deploy --local, first run: ${Math.round(performance.now() - started)} ms`);
    onTestFailed(() => console.error(first.output));
    const out = first.output;
    expect(out).toMatch(/^D1 database "hearth": created; its id written into wrangler.toml \([0-9a-f-]{36}\)$/m);
    expect(out).toMatch(/^migrations: applied 0001_users_and_keys\.sql, /m);
    expect(out).toMatch(/^secret HEARTH_ADMIN_TOKEN: generated$/m);
    expect(out).toMatch(/^secret OPENAI_API_KEY: not set: that target stays off/m);
    expect(out).toMatch(/^first user: created "alice" \(usr_[\w-]+\)$/m);
    const { id } = configuredDatabase(await readFile(join(state, "wrangler.toml"), "utf8"));
    expect(id).not.toBe(PLACEHOLDER_ID);
    expect(out).toContain(`(${id})`);
  }, 120_000);

  it("the printed dashboard serves, the API key works, and the sidecar line's token connects", async () => {
    const url = /^ {2}dashboard: +(http:\/\/127\.0\.0\.1:\d+)\/$/m.exec(first.output)?.[1];
    const apiKey = /^ {2}API key: +(hk_\S+)/m.exec(first.output)?.[1];
    const line = /^ {16}(npm install -g .*)$/m.exec(first.output)?.[1] ?? "";
    expect(url && apiKey).toBeTruthy();
    expect(line).toMatch(new RegExp(`^npm install -g hearth-sidecar-\\d+\\.\\d+\\.\\d+\\.tgz && hearth-sidecar init --url ${url} --token hs_\\S+$`));
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const me = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { name?: string }).name).toBe("alice");
    // The init of the printed line, from source (the package is tested in sidecar-package.test.ts).
    const [, ...initArgs] = line.split(" && ")[1]?.split(" ") ?? [];
    const init = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const c = spawn(process.execPath, ["--import", "tsx", join(ROOT, "sidecar/src/cli.ts"), ...initArgs, "--ollama", "http://127.0.0.1:9", "--config", join(state, "sidecar.yaml")], { cwd: ROOT, env: { ...process.env, HOME: state } });
      let out = "";
      c.stdout.on("data", (d: Buffer) => (out += d.toString()));
      c.stderr.on("data", (d: Buffer) => (out += d.toString()));
      c.on("exit", (code) => resolve({ code, out }));
    });
    onTestFailed(() => console.error(init.out));
    expect(init.code).toBe(0);
    expect(init.out).toMatch(/connected: .* welcomed this sidecar/);
    await stop(first.child);
  }, 60_000);

  it("changes nothing the second time: the same database, no migrations, secrets kept, no new user", async () => {
    const started = performance.now();
    const again = await deploy(["--yes", "--user", "bob"]);
    console.info(`deploy --local, second run: ${Math.round(performance.now() - started)} ms`);
    onTestFailed(() => console.error(again.output));
    expect(again.code).toBe(0);
    const { id } = configuredDatabase(await readFile(join(state, "wrangler.toml"), "utf8"));
    expect(again.output).toContain(`D1 database "hearth": exists, its id is in wrangler.toml (${id})`);
    expect(again.output).toMatch(/^migrations: none pending$/m);
    expect(again.output).toMatch(/^secret HEARTH_ADMIN_TOKEN: already set$/m);
    expect(again.output).toMatch(/^first user: 1 user already, none created$/m);
    expect(again.output).not.toContain("API key:");
  }, 120_000);
});

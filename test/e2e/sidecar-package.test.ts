/**
 * The sidecar as a user installs it, end to end: the package is built and packed, installed with
 * `npm install -g --prefix <fresh dir> <tarball>` from a clean directory (no repository, no pnpm, no
 * tsx on the PATH), and then used the way the README says — `init` (no terminal, so flags), `doctor`
 * (JSON; then a bad token, which must fail with a fix), `service install --dry-run`, and the unit's own
 * ExecStart run as systemd would run it: a request served at home on the tiny GGUF, then SIGTERM while
 * an Ollama answer streams, which must drain (the stream completes) and exit 0.
 *
 * The npm registry must be reachable; with npm's cache warm (--prefer-offline) the install takes
 * ~10 s here. It brings node-llama-cpp's optional GPU builds as a user's install does.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { buildSidecarPackage, packSidecarPackage } from "../../sidecar/build/build.js";
import { fromFile } from "../../sidecar/src/config.js";
import { writeTinyGguf } from "../../scripts/lib/tiny-gguf.js";
import { startFakeOllama, chatRequests, type FakeOllama } from "../fakes/ollama.js";
import { postChat, readRest, readUntil, sseChunks, sseData, streamText } from "../support/chat.js";
import { localModels, waitFor } from "../support/sidecar.js";
import { startWorker, type RunningWorker } from "../support/wrangler.js";

const run = promisify(execFile);
type User = Awaited<ReturnType<RunningWorker["createUser"]>>;

let worker: RunningWorker;
let ollama: FakeOllama;
let user: User;
let dir: string;
let prefix: string;
let home: string;
let models: string;
const timings: Record<string, number> = {};

/** The environment of someone's shell: no npm/pnpm variables, no repository tools on the PATH. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|pnpm_|NPM_CONFIG_|PNPM_|NODE_OPTIONS$|VITEST|XDG_CONFIG_HOME$)/i.test(k)) env[k] = v;
  env.PATH = [join(prefix, "bin"), dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":");
  return { ...env, HOME: home, ...extra };
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the installed `hearth-sidecar` (found on the PATH) to its end; stdin is not a terminal. */
function hearthSidecar(args: string[], timeoutMs = 120_000, env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn("hearth-sidecar", args, { cwd: dir, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const configPath = () => join(home, ".config", "hearth", "sidecar.yaml");
const time = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
  const t = performance.now();
  const out = await f();
  timings[name] = Math.round(performance.now() - t);
  return out;
};

function du(path: string): number {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((sum, name) => sum + du(join(path, name)), 0);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hearth-package-"));
  prefix = join(dir, "prefix");
  home = join(dir, "home");
  models = join(dir, "models");
  await Promise.all([mkdir(home), mkdir(models)]);
  const [w, o] = await Promise.all([
    startWorker(),
    startFakeOllama({ models: [{ name: "slow:latest", chunkDelayMs: 100, size: 2_000_000_000, contextLength: 8192 }] }),
    writeTinyGguf(join(models, "hearth-tiny.gguf")),
    (async () => {
      const built = await time("build", () => buildSidecarPackage(join(dir, "dist")));
      const tarball = await time("pack", () => packSidecarPackage(built.dir, dir));
      await time("install", () => run("npm", ["install", "-g", "--prefix", prefix, tarball, "--prefer-offline", "--no-audit", "--no-fund"], { cwd: dir, env: { ...cleanEnv(), HOME: process.env.HOME ?? home }, maxBuffer: 16 * 1024 * 1024 }));
    })(),
  ]);
  worker = w;
  ollama = o;
  user = await worker.createUser("package-user");
}, 300_000);

afterAll(async () => {
  console.info(`sidecar package: ${JSON.stringify(timings)} ms`);
  await worker?.stop();
  await ollama?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the installed package", () => {
  it("is a bin linked to plain JavaScript, with its dependencies and no development tools", async () => {
    const cli = realpathSync(join(prefix, "bin", "hearth-sidecar"));
    expect(cli).toBe(join(prefix, "lib", "node_modules", "hearth-sidecar", "cli.js"));
    expect(readFileSync(cli, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    const installed = join(prefix, "lib", "node_modules", "hearth-sidecar");
    const deps = join(installed, "node_modules");
    for (const name of ["node-llama-cpp", "ollama", "ws", "yaml", "zod", "citty"]) expect(existsSync(join(deps, name)), name).toBe(true);
    for (const name of ["tsx", "typescript", "esbuild", "wrangler", "vitest", "@hearth"]) expect(existsSync(join(deps, name)), name).toBe(false);
    expect((await hearthSidecar(["--version"])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const total = du(installed);
    const binaries = du(join(deps, "@node-llama-cpp"));
    console.info(`installed: ${(total / 1e6).toFixed(0)} MB, of which node-llama-cpp's prebuilt binaries ${(binaries / 1e6).toFixed(0)} MB`);
    // Everything but llama.cpp's prebuilt binaries (which node-llama-cpp makes optional) stays small.
    expect(total - binaries).toBeLessThan(100e6);
  });
});

describe("init → doctor → service → a request at home", () => {
  it("init without a terminal names the missing flag, writes nothing", async () => {
    const r = await hearthSidecar(["init", "--url", worker.url]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("--token is required");
    expect(existsSync(configPath())).toBe(false);
  });

  it("init writes the config where the sidecar reads it (0600) and proves the connection", async () => {
    const r = await time("init", () => hearthSidecar(["init", "--url", worker.url, "--token", user.sidecarToken, "--models", models, "--ollama", ollama.url]));
    onTestFailed(() => console.error(r));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${configPath()}`);
    expect(r.stdout).toMatch(/hearth-tiny \(GGUF, [\d.]+ KB, context 256\)/);
    expect(r.stdout).toContain(`slow:latest (Ollama at ${ollama.url}`);
    expect(r.stdout).toMatch(/connected: .* welcomed this sidecar in \d+ ms/);
    expect(statSync(configPath()).mode & 0o777).toBe(0o600);
    expect(fromFile(configPath())).toEqual({ url: worker.url, token: user.sidecarToken, models: [models], ollama: ollama.url });
    // A second run does not overwrite without --force.
    const again = await hearthSidecar(["init", "--url", worker.url, "--token", "hs_other_token"]);
    expect(again.code).toBe(2);
    expect(again.stdout).toContain("--force");
  });

  it("doctor passes every check with that config, and times a test generation", async () => {
    const r = await time("doctor", () => hearthSidecar(["doctor", "--json"]));
    onTestFailed(() => console.error(r));
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; config: string; checks: { id: string; status: string; detail: string; fix?: string }[] };
    expect(report.ok).toBe(true);
    expect(report.config).toBe(configPath());
    const by = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    expect(Object.keys(by)).toEqual(["config", "worker", "version", "token", "clock", "gpu", "model:hearth-tiny", "memory", "ollama", "generation"]);
    for (const id of ["config", "worker", "version", "token", "gpu", "model:hearth-tiny", "memory", "ollama", "generation"]) expect(by[id]?.status, `${id}: ${by[id]?.detail}`).toBe("ok");
    // workerd under wrangler dev sends no Date header (Cloudflare's edge does): the skew is unit-tested.
    expect([by.clock?.status, by.clock?.detail]).toEqual(["skip", "the Worker sent no Date header"]);
    expect(by.version?.detail).toMatch(/^the Worker \(Hearth [\d.]+\) serves protocols? [\d–]+; this sidecar \(\d+\.\d+\.\d+\) speaks \d+$/);
    expect(by["model:hearth-tiny"]?.detail).toMatch(/KB, context 256 \(runs with 256\), llama, chat/);
    expect(by.ollama?.detail).toContain("slow:latest (2.0 GB, context 8192)");
    expect(by.gpu?.detail).toMatch(/^CPU|CUDA|Vulkan|Metal/);
    expect(by.generation?.detail).toMatch(/^hearth-tiny \(llama-cpp\): first token in \d+ ms, [\d.]+ tokens\/s over \d+ tokens$/);
  }, 120_000);

  it("doctor fails on a bad token and says how to fix it", async () => {
    const r = await hearthSidecar(["doctor", "--token", "hs_not_a_real_token_at_all", "--no-generate"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL +token +refused \(401\)/m);
    expect(r.stdout).toMatch(/fix: issue a sidecar token .* set `token:` in /);
    expect(r.stdout).toMatch(/^skip +generation +skipped \(--no-generate\)/m);
    expect(r.stdout).toMatch(/1 failed/);
  });

  it("doctor says which side to upgrade when the protocols do not match", async () => {
    const r = await hearthSidecar(["doctor", "--no-generate"], 60_000, { HEARTH_SIDECAR_PROTOCOL_OVERRIDE: "99" });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL +version +the Worker \(Hearth [\d.]+\) serves protocols? [\d–]+; this sidecar \([\d.]+\) speaks 99$/m);
    expect(r.stdout).toContain("fix: upgrade the worker:");
    expect(r.stdout).toMatch(/^FAIL +token +the Worker refused the tunnel \(426\)/m);
  });

  it("service install --dry-run prints a unit that runs this node on the installed cli.js, then serves and drains as that unit", async () => {
    const dry = await hearthSidecar(["service", "install", "--dry-run"]);
    expect(dry.code).toBe(0);
    const cli = join(prefix, "lib", "node_modules", "hearth-sidecar", "cli.js");
    const unitPath = join(home, ".config", "systemd", "user", "hearth-sidecar.service");
    expect(dry.stdout).toContain(`write ${unitPath}:`);
    expect(dry.stdout).toContain(`ExecStart=${process.execPath} ${cli} --config ${configPath()}`);
    expect(dry.stdout).toMatch(/KillSignal=SIGTERM\n/);
    expect(dry.stdout).toMatch(/TimeoutStopSec=45\n/); // the default 30 s drain + 15 s
    expect(dry.stdout).toContain("run systemctl --user enable hearth-sidecar.service");
    expect(dry.stdout).toContain("journalctl --user -u hearth-sidecar");
    expect(existsSync(unitPath)).toBe(false);

    // Run the unit's command line as systemd would: node directly, the unit's environment, its own process group.
    const argv = /^ {2}ExecStart=(.*)$/m.exec(dry.stdout)?.[1]?.split(" ") ?? [];
    const env = Object.fromEntries([...dry.stdout.matchAll(/^ {2}Environment=(?:"?)([A-Z_]+)=([^"\n]*)"?$/gm)].map((m) => [m[1], m[2]]));
    const [node, ...args] = argv;
    const child: ChildProcess = spawn(node ?? "", args, { cwd: "/", env: { HOME: home, ...env, HEARTH_LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
    onTestFailed(() => console.error(`sidecar output:\n${output}`));
    try {
      await waitFor(async () => (await localModels(worker.url, user.apiKey)).length >= 2, 30_000, "the installed sidecar's models");
      const served = await postChat(worker.url, user.apiKey, { model: "local/hearth-tiny", max_tokens: 8, messages: [{ role: "user", content: "Hello" }] });
      expect(served.status).toBe(200);
      expect(served.headers.get("x-hearth-target")).toBe("local/hearth-tiny");
      expect(((await served.json()) as { object: string }).object).toBe("chat.completion");

      const prompt = "keep streaming while the service stops; ".repeat(2);
      const r = await postChat(worker.url, user.apiKey, { model: "local/slow:latest", stream: true, messages: [{ role: "user", content: prompt }] });
      expect(r.headers.get("x-hearth-target")).toBe("local/slow:latest");
      const { text: head, reader } = await readUntil(r, (t) => t.includes('"content":"Echo'));
      const stoppedAt = Date.now();
      child.kill("SIGTERM");
      const wire = head + (await readRest(reader));
      expect(sseData(wire).at(-1)).toBe("[DONE]");
      expect(streamText(sseChunks(wire))).toBe(`Echo: ${prompt}`);
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - stoppedAt).toBeLessThan(15_000);
      expect(output).toContain("stopping: draining");
      expect(output).toMatch(/stopped: drained code=0/);
      expect(chatRequests(ollama).at(-1)?.aborted).toBe(false);
    } finally {
      if (child.exitCode === null && child.pid) process.kill(-child.pid, "SIGKILL");
    }
  }, 90_000);
});

/**
 * The sidecar as a user installs it, end to end: the package is built and packed, installed with
 * `npm install -g --prefix <fresh dir> <tarball>` from a clean directory (no repository, no pnpm, no
 * tsx on the PATH), and used the way the README says.
 *
 *   light     the package alone (no node-llama-cpp): ≤ 25 MB installed, publishable; `init` (no
 *             terminal, so flags), `doctor`, `service install --dry-run`, and the unit's own ExecStart
 *             run as systemd would: requests served at home on (fake) Ollama in both client modes, then
 *             SIGTERM while an answer streams, which must drain and exit 0
 *   add-on    `hearth-sidecar add llama-cpp --gpu cpu` from the npm registry into that install: the tiny
 *             GGUF served at home, `doctor --json` showing the backend; `remove llama-cpp`, after which
 *             the sidecar refuses to start in one line naming the command
 *
 * The npm registry must be reachable. npm's cache is the repository's .cache/npm (git-ignored), so a
 * second run installs from it (--prefer-offline); the timings are printed at the end.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { buildSidecarPackage, packSidecarPackage, type BuiltPackage } from "../../sidecar/build/build.js";
import { binaryPackages } from "../../sidecar/src/addons/llama-cpp/packages.js";
import { fromFile } from "../../sidecar/src/config.js";
import { writeTinyGguf } from "../../scripts/lib/tiny-gguf.js";
import { startFakeOllama, chatRequests, type FakeOllama } from "../fakes/ollama.js";
import { postChat, readRest, readUntil, sseChunks, sseData, streamText } from "../support/chat.js";
import { localModels, waitFor } from "../support/sidecar.js";
import { ROOT, startWorker, type RunningWorker } from "../support/wrangler.js";

const run = promisify(execFile);
type User = Awaited<ReturnType<RunningWorker["createUser"]>>;

/** npm's cache for these installs: kept between runs, outside the user's own. */
const NPM_CACHE = join(ROOT, ".cache", "npm");
const LIGHT_LIMIT_BYTES = 25e6;

let worker: RunningWorker;
let ollama: FakeOllama;
let user: User;
let built: BuiltPackage;
let dir: string;
let prefix: string;
let home: string;
let models: string;
const timings: Record<string, number> = {};
const sizes: Record<string, number> = {};

/** The environment of someone's shell: no npm/pnpm variables, no repository tools on the PATH. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|pnpm_|NPM_CONFIG_|PNPM_|NODE_OPTIONS$|VITEST|XDG_CONFIG_HOME$|XDG_DATA_HOME$)/i.test(k)) env[k] = v;
  env.PATH = [join(prefix, "bin"), dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":");
  return { ...env, HOME: home, ...extra };
}

/** npm settings for an install: this suite's cache, and the user's own npm config (registry, proxy). */
const npmEnv = (): Record<string, string> => ({ npm_config_cache: NPM_CACHE, npm_config_prefer_offline: "true", npm_config_userconfig: join(homedir(), ".npmrc") });

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
const addonPath = () => join(home, ".local", "share", "hearth", "llama-cpp");
const installed = () => join(prefix, "lib", "node_modules", "hearth-sidecar");
const time = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
  const t = performance.now();
  const out = await f();
  timings[name] = Math.round(performance.now() - t);
  return out;
};

/** Bytes of the files under a path (as npm and `du --apparent-size` count them). */
function du(path: string): number {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((sum, name) => sum + du(join(path, name)), 0);
}

/** Starts a command as its own process group, collecting its output. */
function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  const child: ChildProcess = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(-child.pid, "SIGKILL");
  };
  return { child, exited, kill, output: () => output };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hearth-package-"));
  prefix = join(dir, "prefix");
  home = join(dir, "home");
  models = join(dir, "models");
  await Promise.all([mkdir(home), mkdir(models), mkdir(NPM_CACHE, { recursive: true })]);
  const [w, o] = await Promise.all([
    startWorker(),
    startFakeOllama({ models: [{ name: "slow:latest", chunkDelayMs: 100, size: 2_000_000_000, contextLength: 8192 }] }),
    writeTinyGguf(join(models, "hearth-tiny.gguf")),
    (async () => {
      built = await time("build", () => buildSidecarPackage(join(dir, "dist")));
      const tarball = await time("pack", () => packSidecarPackage(built.dir, dir));
      await time("install", () =>
        run("npm", ["install", "-g", "--prefix", prefix, tarball, "--no-audit", "--no-fund"], { cwd: dir, env: { ...cleanEnv(npmEnv()), HOME: homedir() }, maxBuffer: 16 * 1024 * 1024 }),
      );
    })(),
  ]);
  worker = w;
  ollama = o;
  user = await worker.createUser("package-user");
}, 300_000);

afterAll(async () => {
  console.info(`sidecar package: ${JSON.stringify(timings)} ms; ${JSON.stringify(sizes)} bytes`);
  await worker?.stop();
  await ollama?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the light package", () => {
  it("is a bin linked to plain JavaScript, with its dependencies, without node-llama-cpp or development tools, ≤ 25 MB", async () => {
    const cli = realpathSync(join(prefix, "bin", "hearth-sidecar"));
    expect(cli).toBe(join(installed(), "cli.js"));
    expect(readFileSync(cli, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    const deps = join(installed(), "node_modules");
    for (const name of ["ollama", "ws", "yaml", "zod", "citty", "prom-client"]) expect(existsSync(join(deps, name)), name).toBe(true);
    for (const name of ["node-llama-cpp", "@node-llama-cpp", "tsx", "typescript", "esbuild", "wrangler", "vitest", "@hearth"]) expect(existsSync(join(deps, name)), name).toBe(false);
    expect((await hearthSidecar(["--version"])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    sizes.light = du(installed());
    expect(sizes.light).toBeLessThan(LIGHT_LIMIT_BYTES);
  });

  it("passes npm publish --dry-run with only its own files", async () => {
    const { stdout } = await run("npm", ["publish", "--dry-run", "--json", built.dir], { cwd: dir, env: { ...cleanEnv(npmEnv()), HOME: homedir() } });
    type Report = { name: string; files: { path: string }[] };
    // npm 11 keys the report by package name; earlier npm printed the report itself.
    const parsed = JSON.parse(stdout.slice(stdout.indexOf("{"))) as Report | Record<string, Report>;
    const report = ("files" in parsed ? parsed : parsed["hearth-sidecar"]) as Report;
    expect(report.name).toBe("hearth-sidecar");
    const files = report.files.map((f) => f.path).sort();
    expect(files.filter((f) => !/^chunks\/[\w-]+\.js$/.test(f))).toEqual(["LICENSE", "README.md", "cli.js", "package.json"]);
    const manifest = JSON.parse(readFileSync(join(installed(), "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest).toMatchObject({ license: "MIT", engines: { node: ">=20.19" }, bin: { "hearth-sidecar": "cli.js" }, repository: { type: "git" } });
    expect(manifest.description).toMatch(/Ollama/);
  }, 60_000);
});

describe("init → doctor → service → requests at home on Ollama (light)", () => {
  it("init without a terminal names the missing flag, writes nothing", async () => {
    const r = await hearthSidecar(["init", "--url", worker.url]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("--token is required");
    expect(existsSync(configPath())).toBe(false);
  });

  it("init writes the config where the sidecar reads it (0600) and proves the connection", async () => {
    const r = await time("init", () => hearthSidecar(["init", "--url", worker.url, "--token", user.sidecarToken, "--ollama", ollama.url]));
    onTestFailed(() => console.error(r));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${configPath()}`);
    expect(r.stdout).toContain(`slow:latest (Ollama at ${ollama.url}`);
    expect(r.stdout).not.toContain("llama.cpp add-on");
    expect(r.stdout).toMatch(/connected: .* welcomed this sidecar in \d+ ms/);
    expect(statSync(configPath()).mode & 0o777).toBe(0o600);
    expect(fromFile(configPath())).toEqual({ url: worker.url, token: user.sidecarToken, ollama: ollama.url });
    // A second run does not overwrite without --force.
    const again = await hearthSidecar(["init", "--url", worker.url, "--token", "hs_other_token"]);
    expect(again.code).toBe(2);
    expect(again.stdout).toContain("--force");
  });

  it("doctor passes with that config: no add-on needed, a test generation on Ollama", async () => {
    const r = await time("doctor", () => hearthSidecar(["doctor", "--json"]));
    onTestFailed(() => console.error(r));
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; config: string; checks: { id: string; status: string; detail: string; fix?: string }[] };
    expect(report.ok).toBe(true);
    expect(report.config).toBe(configPath());
    const by = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    expect(Object.keys(by)).toEqual(["config", "worker", "version", "token", "clock", "llama-cpp", "gpu", "memory", "ollama", "generation"]);
    for (const id of ["config", "worker", "version", "token", "ollama", "generation"]) expect(by[id]?.status, `${id}: ${by[id]?.detail}`).toBe("ok");
    expect(by["llama-cpp"]).toMatchObject({ status: "skip", detail: "no add-on: only GGUF models need it (`hearth-sidecar add llama-cpp`)" });
    // workerd under wrangler dev sends no Date header (Cloudflare's edge does): the skew is unit-tested.
    expect([by.clock?.status, by.clock?.detail]).toEqual(["skip", "the Worker sent no Date header"]);
    expect(by.version?.detail).toMatch(/^the Worker \(Hearth [\d.]+\) serves protocols? [\d–]+; this sidecar \(\d+\.\d+\.\d+\) speaks \d+$/);
    expect(by.ollama?.detail).toContain("slow:latest (2.0 GB, context 8192)");
    expect(by.generation?.detail).toMatch(/^slow:latest \(ollama\): first token in \d+ ms/);
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

  it("service install --dry-run prints a unit that runs this node on the installed cli.js, which serves both client modes and drains", async () => {
    const dry = await hearthSidecar(["service", "install", "--dry-run"]);
    expect(dry.code).toBe(0);
    const cli = join(installed(), "cli.js");
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
    const unit = startProcess(node ?? "", args, { HOME: home, ...env, HEARTH_LOG_LEVEL: "info" }, "/");
    onTestFailed(() => console.error(`sidecar output:\n${unit.output()}`));
    try {
      await waitFor(async () => (await localModels(worker.url, user.apiKey)).length >= 1, 30_000, "the installed sidecar's models");
      const client = new OpenAI({ apiKey: user.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
      const whole = await client.chat.completions.create({ model: "local/slow:latest", messages: [{ role: "user", content: "Hello" }] }).withResponse();
      expect(whole.response.headers.get("x-hearth-target")).toBe("local/slow:latest");
      expect(whole.data.choices[0]?.message.content).toBe("Echo: Hello");
      const streamed = await client.chat.completions.create({ model: "local/slow:latest", stream: true, messages: [{ role: "user", content: "Hi there" }] }).withResponse();
      expect(streamed.response.headers.get("x-hearth-target")).toBe("local/slow:latest");
      let text = "";
      for await (const chunk of streamed.data) text += chunk.choices[0]?.delta.content ?? "";
      expect(text).toBe("Echo: Hi there");

      const prompt = "keep streaming while the service stops; ".repeat(2);
      const r = await postChat(worker.url, user.apiKey, { model: "local/slow:latest", stream: true, messages: [{ role: "user", content: prompt }] });
      expect(r.headers.get("x-hearth-target")).toBe("local/slow:latest");
      const { text: head, reader } = await readUntil(r, (t) => t.includes('"content":"Echo'));
      const stoppedAt = Date.now();
      unit.child.kill("SIGTERM");
      const wire = head + (await readRest(reader));
      expect(sseData(wire).at(-1)).toBe("[DONE]");
      expect(streamText(sseChunks(wire))).toBe(`Echo: ${prompt}`);
      expect(await unit.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - stoppedAt).toBeLessThan(15_000);
      expect(unit.output()).toContain("stopping: draining");
      expect(unit.output()).toMatch(/stopped: drained code=0/);
      expect(chatRequests(ollama).at(-1)?.aborted).toBe(false);
    } finally {
      unit.kill();
    }
  }, 90_000);
});

describe("the llama.cpp add-on, CPU build from the npm registry", () => {
  it("add llama-cpp --gpu cpu installs node-llama-cpp with only the CPU binary, without building", async () => {
    const r = await time("add llama-cpp", () => hearthSidecar(["add", "llama-cpp", "--gpu", "cpu"], 240_000, npmEnv()));
    onTestFailed(() => console.error(r));
    expect(r.code).toBe(0);
    const cpu = binaryPackages(process.platform, process.arch, "cpu");
    expect(r.stdout).toContain(`node-llama-cpp ${built.llamaCpp} with the CPU build: ${cpu.join(", ")}`);
    expect(r.stdout).toMatch(/installed in [\d.]+ s: [\d.]+ MB on disk/);
    const nm = join(addonPath(), "node_modules");
    expect(JSON.parse(readFileSync(join(nm, "node-llama-cpp", "package.json"), "utf8"))).toMatchObject({ version: built.llamaCpp });
    expect(readdirSync(join(nm, "@node-llama-cpp")).map((p) => `@node-llama-cpp/${p}`)).toEqual(cpu);
    // llama.cpp's source bundle (only a source build reads it) is gone; nothing was compiled.
    expect(existsSync(join(nm, "node-llama-cpp", "llama", "gitRelease.bundle"))).toBe(false);
    expect(existsSync(join(nm, "node-llama-cpp", "llama", "localBuilds"))).toBe(false);
    sizes.addonCpu = du(addonPath());
    expect(sizes.addonCpu).toBeLessThan(100e6);
    // Again: nothing to do.
    const again = await hearthSidecar(["add", "llama-cpp", "--gpu", "cpu"], 60_000, npmEnv());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("the llama.cpp add-on is installed already");
  }, 300_000);

  it("init --force finds the GGUF models and reads their metadata now", async () => {
    const r = await hearthSidecar(["init", "--force", "--url", worker.url, "--token", user.sidecarToken, "--models", models, "--ollama", ollama.url]);
    onTestFailed(() => console.error(r));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/hearth-tiny \(GGUF, [\d.]+ KB, context 256\)/);
    expect(r.stdout).not.toContain("needs the llama.cpp add-on");
    expect(fromFile(configPath())).toEqual({ url: worker.url, token: user.sidecarToken, models: [models], ollama: ollama.url });
  });

  it("doctor --json shows the backend: the add-on's build, the GGUF model, a generation on llama.cpp", async () => {
    const r = await time("doctor with add-on", () => hearthSidecar(["doctor", "--json"]));
    onTestFailed(() => console.error(r));
    expect(r.code).toBe(0);
    const by = Object.fromEntries((JSON.parse(r.stdout) as { checks: { id: string; status: string; detail: string }[] }).checks.map((c) => [c.id, c]));
    expect(Object.keys(by)).toEqual(["config", "worker", "version", "token", "clock", "llama-cpp", "gpu", "model:hearth-tiny", "memory", "ollama", "generation"]);
    for (const id of ["llama-cpp", "gpu", "model:hearth-tiny", "memory", "generation"]) expect(by[id]?.status, `${id}: ${by[id]?.detail}`).toBe("ok");
    expect(by["llama-cpp"]?.detail).toMatch(new RegExp(`^add-on: node-llama-cpp ${built.llamaCpp.replace(/\./g, "\\.")}, CPU build \\(@node-llama-cpp/[\\w-]+\\), [\\d.]+ MB in ${addonPath()}$`));
    expect(by.gpu?.detail).toMatch(/^CPU/);
    expect(by["model:hearth-tiny"]?.detail).toMatch(/KB, context 256 \(runs with 256\), llama, chat/);
    expect(by.generation?.detail).toMatch(/^hearth-tiny \(llama-cpp\): first token in \d+ ms, [\d.]+ tokens\/s over \d+ tokens$/);
  }, 120_000);

  it("serves the tiny GGUF at home in both client modes", async () => {
    const sidecar = startProcess("hearth-sidecar", ["--gpu", "off", "--threads", "1"], cleanEnv(), dir);
    onTestFailed(() => console.error(`sidecar output:\n${sidecar.output()}`));
    try {
      await waitFor(async () => (await localModels(worker.url, user.apiKey)).includes("local/hearth-tiny"), 30_000, "the GGUF model");
      const client = new OpenAI({ apiKey: user.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
      const whole = await client.chat.completions.create({ model: "local/hearth-tiny", max_tokens: 8, messages: [{ role: "user", content: "Hello" }] }).withResponse();
      expect(whole.response.headers.get("x-hearth-target")).toBe("local/hearth-tiny");
      expect(whole.data.usage?.completion_tokens).toBeGreaterThan(0);
      const streamed = await client.chat.completions.create({ model: "local/hearth-tiny", max_tokens: 8, stream: true, messages: [{ role: "user", content: "Hello" }] }).withResponse();
      expect(streamed.response.headers.get("x-hearth-target")).toBe("local/hearth-tiny");
      let finish: string | null | undefined;
      for await (const chunk of streamed.data) finish = chunk.choices[0]?.finish_reason ?? finish;
      expect(finish).toMatch(/^(stop|length)$/);
      sidecar.child.kill("SIGTERM");
      expect(await sidecar.exited).toEqual({ code: 0, signal: null });
    } finally {
      sidecar.kill();
    }
  }, 90_000);

  it("remove llama-cpp: the config with GGUF models then stops the sidecar at start, in one line naming the command", async () => {
    const removed = await hearthSidecar(["remove", "llama-cpp"]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(new RegExp(`^removed ${addonPath()} \\([\\d.]+ MB\\)`));
    expect(existsSync(addonPath())).toBe(false);
    const r = await hearthSidecar([], 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("hearth sidecar: models: GGUF models need the llama.cpp add-on, which is not installed: run `hearth-sidecar add llama-cpp`\n");
  });
});

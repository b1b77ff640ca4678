/**
 * Stopping the sidecar the way a service manager does, end to end: real `wrangler dev`, a fake Ollama
 * that streams slowly, and the sidecar started two ways, each in its own process group — with the
 * shipped systemd unit's own ExecStart, and as `pnpm sidecar` (pnpm, sh, the tsx wrapper, node). While
 * an answer is streaming, it is stopped: as systemd stops the unit (its KillMode read from the file),
 * with SIGTERM to the process group, to every process at once (systemd's default control-group kill),
 * twice 40 ms apart (as the tsx wrapper relays it), and with SIGINT to pnpm's group (Ctrl-C).
 * Every way must drain: the running stream ends with a finish reason and [DONE], a request sent after
 * the stop began is served by the cloud, and every process exits — the sidecar with 0 — within the
 * drain time. A signal after the repeat window still exits at once. Its own file: each case stops its
 * sidecar.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFailed } from "vitest";
import type { FakeServer } from "../fakes/harness.js";
import { REPEAT_WINDOW_MS } from "../../sidecar/src/signals.js";
import { chatRequests, startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { postChat, readRest, readUntil, sseChunks, sseData, streamText, traceOf } from "../support/chat.js";
import { descendants, killTree } from "../support/process-tree.js";
import { localModels, waitFor } from "../support/sidecar.js";
import { cloudVars, ROOT, startWorker, type RunningWorker } from "../support/wrangler.js";

const OPENAI = "openai/gpt-4o-mini";
const DRAIN_SECONDS = 10;
/** Echoed back 4 characters per 100 ms: ~2.7 s of streaming, so every stop lands mid-answer. */
const PROMPT = "finish this answer even while the service stops; ".repeat(2);

type User = Awaited<ReturnType<RunningWorker["createUser"]>>;
type Exit = { code: number | null; signal: NodeJS.Signals | null };

interface Launched {
  child: ChildProcess;
  output(): string;
  /** Settles once the process we started has exited and its output is all read (made at spawn, so no event is missed). */
  exited: Promise<Exit>;
}

let openai: FakeServer;
let worker: RunningWorker;
let dir: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ask = (content: string) => ({ model: "auto", messages: [{ role: "user" as const, content }] });
/** Running, not exited: a zombie (exited, its orphaned parent not yet reaped by init) counts as gone. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** The unit's `Key=value` settings (ours has no line continuations or quoting). */
async function unitSettings(): Promise<Map<string, string[]>> {
  const text = await readFile(join(ROOT, "sidecar/deploy/hearth-sidecar.service"), "utf8");
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const [, key, value] = /^([A-Za-z]+)=(.*)$/.exec(line.trim()) ?? [];
    if (key && value !== undefined) out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

const setting = (unit: Map<string, string[]>, key: string) => unit.get(key)?.at(-1);

function launch(argv: string[], env: Record<string, string> = {}): Launched {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error("empty command line");
  // detached: its own process group, as a service is alone in its cgroup.
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<Exit>((r) => child.once("close", (code, signal) => r({ code, signal })));
  return { child, output: () => output, exited };
}

/** The shipped unit's ExecStart and Environment, with its config file replaced by one for this test. */
async function asTheUnit(user: User, ollama: FakeOllama): Promise<Launched> {
  const unit = await unitSettings();
  const argv = (setting(unit, "ExecStart") ?? "").split(/\s+/);
  const config = join(dir, `${user.name}.yaml`);
  const at = argv.indexOf("--config");
  expect(at, "ExecStart passes --config").toBeGreaterThan(0);
  argv[at + 1] = config;
  expect(argv.join(" "), "no systemd specifiers left to expand").not.toContain("%");
  const env = Object.fromEntries((unit.get("Environment") ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
  await writeFile(config, JSON.stringify({ url: worker.url, token: user.sidecarToken, ollama: ollama.url, logLevel: "info", drainSeconds: DRAIN_SECONDS }));
  return launch(argv, env);
}

function asPnpm(user: User, ollama: FakeOllama): Launched {
  return launch(["pnpm", "sidecar", "--url", worker.url, "--token", user.sidecarToken, "--ollama", ollama.url, "--log-level", "info", "--drain-seconds", String(DRAIN_SECONDS)]);
}

/** How systemd stops the unit: SIGTERM to the main process only (mixed, process), or to every process. */
async function asSystemdStopsTheUnit(pid: number): Promise<void> {
  const mode = setting(await unitSettings(), "KillMode") ?? "control-group";
  if (mode === "mixed" || mode === "process") process.kill(pid, "SIGTERM");
  else killTree(pid, "SIGTERM");
}

const toGroup = (signal: NodeJS.Signals) => async (pid: number) => void process.kill(-pid, signal);
const twiceToGroup = async (pid: number) => {
  process.kill(-pid, "SIGTERM");
  await sleep(40);
  process.kill(-pid, "SIGTERM");
};

interface Round {
  name: string;
  start: (user: User, ollama: FakeOllama) => Launched | Promise<Launched>;
  stop: (pid: number) => Promise<void>;
  /** The signal the process we started may die of, passing it on once the sidecar has exited (pnpm does). */
  passesOn?: NodeJS.Signals;
  /** The sidecar surely gets the signal more than once. */
  repeats?: true;
}

const ROUNDS: Round[] = [
  { name: "the unit's command, stopped as systemd stops the shipped unit (its KillMode)", start: asTheUnit, stop: asSystemdStopsTheUnit },
  { name: "the unit's command, SIGTERM to its process group", start: asTheUnit, stop: toGroup("SIGTERM") },
  { name: "the unit's command, SIGTERM to its process group twice, 40 ms apart", start: asTheUnit, stop: twiceToGroup, repeats: true },
  { name: "pnpm sidecar, SIGTERM to its process group", start: asPnpm, stop: toGroup("SIGTERM"), passesOn: "SIGTERM" },
  { name: "pnpm sidecar, SIGTERM to every process at once (systemd's default control-group kill)", start: asPnpm, stop: async (pid) => void killTree(pid, "SIGTERM"), passesOn: "SIGTERM" },
  { name: "pnpm sidecar, SIGTERM to its process group twice, 40 ms apart", start: asPnpm, stop: twiceToGroup, passesOn: "SIGTERM", repeats: true },
  { name: "pnpm sidecar, SIGINT to its process group (Ctrl-C in a terminal)", start: asPnpm, stop: toGroup("SIGINT"), passesOn: "SIGINT" },
];

beforeAll(async () => {
  openai = await startFakeOpenAI();
  worker = await startWorker({ vars: { ...cloudVars(openai), HEARTH_AUTO_TARGETS: OPENAI } });
  dir = await mkdtemp(join(tmpdir(), "hearth-stop-"));
}, 150_000);

afterAll(async () => {
  await worker?.stop();
  await openai?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(() => openai.reset());

/** What each case started: every process left gets SIGKILL, the fake Ollama is closed. */
let leftovers: { tree: number[]; ollama: FakeOllama }[] = [];
afterEach(async () => {
  for (const { tree, ollama } of leftovers) {
    for (const p of tree) if (alive(p)) killTree(p, "SIGKILL");
    await ollama.close();
  }
  leftovers = [];
});

describe("the shipped service files", () => {
  it("give the drain room before the hard kill, and the launchd agent runs the unit's command", async () => {
    const unit = await unitSettings();
    expect(Number(setting(unit, "TimeoutStopSec"))).toBeGreaterThan(30); // the default drainSeconds
    const plist = await readFile(join(ROOT, "sidecar/deploy/com.hearth.sidecar.plist"), "utf8");
    const programArguments = /<key>ProgramArguments<\/key>\s*<array>([\s\S]*?)<\/array>/.exec(plist)?.[1] ?? "";
    const launchd = [...programArguments.matchAll(/<string>(.*?)<\/string>/g)].map((m) => m[1]);
    const systemd = (setting(unit, "ExecStart") ?? "").split(/\s+/);
    // Past the node binary and up to the config path (each names its own), the same arguments.
    const args = (argv: (string | undefined)[]) => argv.slice(argv.findIndex((a) => a?.endsWith("node")) + 1, -1);
    expect(args(launchd)).toEqual(args(systemd));
    expect(Number(/<key>ExitTimeOut<\/key><integer>(\d+)<\/integer>/.exec(plist)?.[1])).toBeGreaterThan(30);
  });
});

/** A sidecar started with `start`, connected, and a streamed answer from it under way. */
interface Streaming {
  user: User;
  ollama: FakeOllama;
  proc: Launched;
  pid: number;
  /** The processes of the service once it was up: the one started and its descendants. */
  tree: number[];
  head: string;
  reader: ReadableStreamDefaultReader<Uint8Array>;
}

async function streamingFrom(start: Round["start"], prompt: string): Promise<Streaming> {
  const [user, ollama] = await Promise.all([worker.createUser(`stop-${Math.random().toString(36).slice(2, 8)}`), startFakeOllama({ models: [{ name: "slow:latest", chunkDelayMs: 100 }] })]);
  const proc = await start(user, ollama);
  const pid = proc.child.pid;
  if (!pid) throw new Error("no pid");
  const tree = [pid];
  leftovers.push({ tree, ollama });
  onTestFailed(() => console.error(`output of ${proc.child.spawnargs.slice(0, 4).join(" ")} …:\n${proc.output()}`));
  await waitFor(async () => (await localModels(worker.url, user.apiKey)).length > 0, 30_000, "the sidecar's models");
  tree.push(...descendants(pid));
  const r = await postChat(worker.url, user.apiKey, { ...ask(prompt), stream: true });
  expect(r.headers.get("x-hearth-target")).toBe("local/slow:latest");
  const { text: head, reader } = await readUntil(r, (t) => t.includes('"content":"Echo'));
  return { user, ollama, proc, pid, tree, head, reader };
}

describe("stopping mid-answer", () => {
  for (const round of ROUNDS) {
    it(`${round.name}: the running stream completes, new requests go to the cloud, it exits 0`, async () => {
      const { user, ollama, proc, pid, tree, head, reader } = await streamingFrom(round.start, PROMPT);

      const stoppedAt = Date.now();
      await round.stop(pid);
      await waitFor(async () => proc.output().includes("stopping: draining"), 5_000, "the sidecar to start draining");
      const meanwhile = await postChat(worker.url, user.apiKey, ask("meanwhile"));
      expect(meanwhile.status).toBe(200);
      expect(meanwhile.headers.get("x-hearth-target")).toBe(OPENAI);
      const [home, cloud] = traceOf(meanwhile.headers);
      // Home is passed over (the Worker knows it is draining or gone) or answers `draining` at once.
      expect(home?.[0]).toMatch(/^local/);
      expect(["draining", "offline"]).toContain(home?.[2]);
      expect(cloud).toEqual([OPENAI, "served", "ok"]);

      const wire = head + (await readRest(reader));
      expect(wire).not.toContain("stream_interrupted");
      expect(sseData(wire).at(-1)).toBe("[DONE]");
      const chunks = sseChunks(wire);
      expect(chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter(Boolean)).toEqual(["stop"]);
      expect(streamText(chunks)).toBe(`Echo: ${PROMPT}`);

      const exit = await Promise.race([proc.exited, sleep(DRAIN_SECONDS * 1000).then(() => "timeout" as const)]);
      expect(exit, `exited within ${DRAIN_SECONDS} s; output:\n${proc.output()}`).not.toBe("timeout");
      expect(Date.now() - stoppedAt).toBeLessThan(DRAIN_SECONDS * 1000);
      expect([{ code: 0, signal: null }, ...(round.passesOn ? [{ code: null, signal: round.passesOn }] : [])]).toContainEqual(exit);
      // pnpm's own exit does not carry the sidecar's code: the sidecar says it stopped cleanly.
      expect(proc.output()).toMatch(/info {2}stopped: drained code=0/);
      expect(proc.output()).not.toContain("exiting now");
      if (round.repeats) expect(proc.output()).toContain("stop signal repeated: already draining");
      await waitFor(async () => tree.every((p) => !alive(p)), 2_000, "every process of the service to exit");
      expect(chatRequests(ollama)).toHaveLength(1);
      expect(chatRequests(ollama)[0]?.aborted).toBe(false);
    }, 60_000);
  }

  it("a signal after the repeat window still means exit now (Ctrl-C pressed again on purpose)", async () => {
    const prompt = PROMPT.repeat(3); // ~8 s: still streaming when the second signal comes
    const { proc, pid, head, reader } = await streamingFrom(asTheUnit, prompt);
    process.kill(-pid, "SIGTERM");
    await waitFor(async () => proc.output().includes("stopping: draining"), 5_000, "the sidecar to start draining");
    await sleep(REPEAT_WINDOW_MS + 500);
    const againAt = Date.now();
    process.kill(-pid, "SIGTERM");
    expect(await proc.exited).toEqual({ code: 143, signal: null });
    expect(Date.now() - againAt).toBeLessThan(1_000);
    expect(proc.output()).toContain("second signal: exiting now");
    expect(proc.output()).not.toContain("stopped: drained");
    // Cut short, and the caller is told so.
    const wire = head + (await readRest(reader));
    expect(sseData(wire).at(-1)).toContain('"code":"stream_interrupted"');
  }, 60_000);
});

/**
 * The whole stack the chaos suite runs against: `wrangler dev` with short deadlines, both cloud fakes,
 * and per fault kind a "home" — a fresh user (its own Durable Object, so no kind inherits another's
 * learned deadlines or breaker), a paced fake Ollama and the real sidecar process in front of it.
 */
import { startFakeAnthropic, type FakeAnthropic } from "../fakes/anthropic.js";
import type { FakeServer } from "../fakes/harness.js";
import { expectedAnswer, startFakeOllama, type FakeOllama, type FakeOllamaModel } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { killTree } from "../support/process-tree.js";
import { startSidecar, type SidecarProcess } from "../support/sidecar.js";
import { stopSidecar } from "../support/sidecars.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

export const OPENAI = "openai/gpt-4o-mini";
export const ANTHROPIC = "anthropic/claude-x";

export type User = Awaited<ReturnType<RunningWorker["createUser"]>>;

/** The suite's deadlines (ms), all scaled with the homes' time scale, with floors the machine needs. */
export interface Deadlines {
  /** HEARTH_LOCAL_FIRST_TOKEN_MS: home's first-token deadline ceiling. */
  localFirstToken: number;
  /** HEARTH_FIRST_CHUNK_TIMEOUT_MS: a cloud stream's first chunk. */
  firstChunk: number;
  /** HEARTH_WHOLE_ANSWER_TIMEOUT_MS: a cloud answer fetched whole (a client that does not stream). */
  upstream: number;
  /** HEARTH_IDLE_TIMEOUT_MS: the longest silence between chunks once content flows. */
  idle: number;
  /** HEARTH_TOTAL_TIMEOUT_MS: the whole request. */
  total: number;
  /** The client's hard ceiling: well above `total`; reaching it is a lost request. */
  ceiling: number;
}

export function deadlines(scale: number): Deadlines {
  const at = (ms: number, floor: number) => Math.max(floor, Math.round(ms * scale));
  return {
    localFirstToken: at(6_000, 1_500),
    firstChunk: at(4_000, 1_500),
    upstream: at(8_000, 3_000),
    idle: at(6_000, 2_000),
    total: at(40_000, 12_000),
    ceiling: at(60_000, 20_000),
  };
}

export interface Stack {
  worker: RunningWorker;
  openai: FakeServer;
  anthropic: FakeAnthropic;
  deadlines: Deadlines;
  /** Homes started and not yet stopped (stop() stops them too). */
  homes: Set<Home>;
  /** Stops every home, the Worker and the fakes; safe to call twice. */
  stop(): Promise<void>;
}

export async function startStack(scale: number): Promise<Stack> {
  const [openai, anthropic] = await Promise.all([startFakeOpenAI(), startFakeAnthropic()]);
  const d = deadlines(scale);
  const worker = await startWorker({
    rateLimitPerMinute: 100_000,
    vars: {
      ...cloudVars(openai, anthropic),
      HEARTH_AUTO_TARGETS: `${OPENAI},${ANTHROPIC}`,
      HEARTH_LOCAL_FIRST_TOKEN_MS: String(d.localFirstToken),
      HEARTH_FIRST_CHUNK_TIMEOUT_MS: String(d.firstChunk),
      HEARTH_WHOLE_ANSWER_TIMEOUT_MS: String(d.upstream),
      HEARTH_IDLE_TIMEOUT_MS: String(d.idle),
      HEARTH_TOTAL_TIMEOUT_MS: String(d.total),
      HEARTH_RETRY_BASE_MS: "20",
      HEARTH_MAX_RETRY_AFTER_MS: "1000",
      // Each request must meet its kind's fault; an open breaker would send most of them around it.
      // The breaker has its own tests.
      HEARTH_BREAKER_FAILURES: "1000000",
    },
  }).catch(async (err: unknown) => {
    await Promise.all([openai.close(), anthropic.close()]);
    throw err;
  });
  const homes = new Set<Home>();
  let stopped: Promise<void> | undefined;
  return {
    worker,
    openai,
    anthropic,
    deadlines: d,
    homes,
    stop() {
      stopped ??= (async () => {
        await Promise.all([...homes].map((h) => h.stop()));
        await worker.stop();
        await Promise.all([openai.close(), anthropic.close()]);
      })();
      return stopped;
    },
  };
}

export interface HomeOptions {
  name: string;
  /** The one model the fake Ollama serves. */
  model: FakeOllamaModel;
  /** The user's routing policy. Default: local_first. */
  policy?: object;
  /** Extra sidecar flags. Default: 4 slots, queue 2, 1 s drain (the load's 4 clients all run at home). */
  sidecarArgs?: string[];
  /** Seeds the fake's pacing draws. */
  seed: number;
  /** Start without a sidecar (an offline home). Default: false. */
  offline?: boolean;
}

export interface Home {
  user: User;
  ollama: FakeOllama;
  /** The running sidecar, if any (a kill or a restart replaces it). */
  sidecar(): SidecarProcess | undefined;
  /** The answer each target gives to `prompt`: the fake home's, or the cloud fakes' echo. */
  expected(target: string, prompt: string): string | undefined;
  /** Starts the sidecar and waits until the Worker lists its model. */
  start(): Promise<void>;
  /** SIGKILL to the sidecar's whole tree: the machine's power cut, as the Worker sees it. */
  kill(): void;
  /** SIGSTOP or SIGCONT to the sidecar's tree: a machine going to sleep and waking. */
  signal(sig: "SIGSTOP" | "SIGCONT"): void;
  stop(): Promise<void>;
}

const withTag = (name: string) => (name.includes(":") ? name : `${name}:latest`);

export async function startHome(stack: Stack, opts: HomeOptions): Promise<Home> {
  const user = await stack.worker.createUser(`chaos-${opts.name}`, opts.policy ?? { mode: "local_first" });
  const ollama = await startFakeOllama({ seed: opts.seed, models: [opts.model] });
  const args = opts.sidecarArgs ?? ["--slots", "4", "--queue", "2", "--drain-seconds", "1"];
  let sidecar: SidecarProcess | undefined;
  const model = ollama.models[0] as FakeOllamaModel;
  const home: Home = {
    user,
    ollama,
    sidecar: () => sidecar,
    expected(target, prompt) {
      if (target === `local/${withTag(model.name)}`) return expectedAnswer(model, prompt);
      if (target.startsWith("openai/") || target.startsWith("anthropic/")) return `Echo: ${prompt}`;
      return undefined;
    },
    async start() {
      sidecar = await startSidecar({ workerUrl: stack.worker.url, token: user.sidecarToken, apiKey: user.apiKey, ollama: ollama.url, args, logLevel: "warn" });
    },
    kill() {
      const pid = sidecar?.child.pid;
      if (pid) killTree(pid, "SIGKILL");
      sidecar = undefined;
    },
    signal(sig) {
      const pid = sidecar?.child.pid;
      if (pid) killTree(pid, sig);
    },
    async stop() {
      stack.homes.delete(home);
      const running = sidecar;
      sidecar = undefined;
      if (running) {
        if (running.child.pid) killTree(running.child.pid, "SIGCONT");
        await stopSidecar(running, 2_000);
      }
      await ollama.close();
    },
  };
  stack.homes.add(home);
  if (!opts.offline) {
    try {
      await home.start();
    } catch (err) {
      await ollama.close();
      throw err;
    }
  }
  return home;
}

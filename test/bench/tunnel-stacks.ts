/**
 * The two ways `pnpm bench:tunnel` runs the Worker, each as a pair (Hearth with a connected sidecar,
 * and the empty pass-through Worker as its floor):
 *   wrangler   under `wrangler dev`, as developers run it: its proxy Worker sits in front of both
 *              and carries the sidecar's WebSocket too
 *   miniflare  the bundled Worker in Miniflare directly, on its own port: the same workerd, no proxy
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startMiniflareWorker } from "../support/miniflare.js";
import { startSidecar, type SidecarProcess } from "../support/sidecar.js";
import { ROOT, freePort, startWorker } from "../support/wrangler.js";

export interface Stack {
  name: string;
  /** Hearth's base URL. */
  hearth: string;
  /** The floor's base URL. */
  floor: string;
  /** Users on this Hearth (the sidecar is connected as `home`). */
  users: Record<"home" | "offline" | "cloudOnly", { apiKey: string }>;
  stop(): Promise<void>;
}

export interface Upstreams {
  openai: string;
  ollama: string;
}

/** The fake OpenAI and fake Ollama, in a process of their own. */
export async function startUpstreams(): Promise<{ openai: string; ollama: string; stop: () => void }> {
  const [openaiPort, ollamaPort] = [await freePort(), await freePort()];
  const child = spawn(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "test/fakes/serve.ts"), "--openai-port", String(openaiPort), "--ollama-port", String(ollamaPort)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve) => child.stdout?.once("data", () => resolve()));
  return { openai: `http://127.0.0.1:${openaiPort}`, ollama: `http://127.0.0.1:${ollamaPort}`, stop: () => child.kill() };
}

interface Pair {
  hearth: { url: string; createUser(name?: string, policy?: object): Promise<{ apiKey: string; sidecarToken: string }>; stop(): Promise<void> };
  floor: { url: string; stop(): Promise<void> };
}

const FLOOR = join(ROOT, "test/bench/passthrough-worker.ts");

function hearthVars(up: Upstreams): Record<string, string> {
  return { OPENAI_API_KEY: "test-openai-key", OPENAI_BASE_URL: `${up.openai}/v1`, HEARTH_AUTO_TARGETS: "openai/gpt-4o-mini" };
}

async function startPair(kind: "wrangler" | "miniflare", up: Upstreams): Promise<Pair> {
  const start = kind === "wrangler" ? startWorker : startMiniflareWorker;
  const hearth = await start({ vars: hearthVars(up), rateLimitPerMinute: 1_000_000 });
  try {
    return { hearth, floor: await start({ vars: { OPENAI_BASE_URL: `${up.ollama}/v1` }, main: FLOOR }) };
  } catch (err) {
    await hearth.stop();
    throw err;
  }
}

export async function startStack(kind: "wrangler" | "miniflare", up: Upstreams): Promise<Stack> {
  const { hearth, floor } = await startPair(kind, up);
  let sidecar: SidecarProcess | undefined;
  const stop = async () => {
    await sidecar?.stop("SIGTERM");
    await hearth.stop();
    await floor.stop();
  };
  try {
    const home = await hearth.createUser("home");
    const offline = await hearth.createUser("offline");
    const cloudOnly = await hearth.createUser("cloud-only", { mode: "cloud_only" });
    sidecar = await startSidecar({ workerUrl: hearth.url, token: home.sidecarToken, apiKey: home.apiKey, ollama: up.ollama, args: ["--slots", "4", "--queue", "16"] });
    return { name: kind === "wrangler" ? "wrangler dev" : "Miniflare direct", hearth: hearth.url, floor: floor.url, users: { home, offline, cloudOnly }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

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
import { ROOT, cloudVars, freePort, startWorker } from "../support/wrangler.js";

export interface Stack {
  name: string;
  /** Hearth's base URL. */
  hearth: string;
  /** The floor's base URL. */
  floor: string;
  /** The bare tunnel's base URL (bare/worker.ts with bare/sidecar.ts connected), Miniflare view only. */
  bare?: string;
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
  // node --import tsx, not the tsx wrapper: killing the wrapper would leave the servers running.
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test/fakes/serve.ts"), "--openai-port", String(openaiPort), "--ollama-port", String(ollamaPort)], {
    cwd: ROOT,
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
const BARE = join(ROOT, "test/bench/bare/worker.ts");

/** The bare tunnel (Miniflare) and its home process, connected. */
async function startBare(up: Upstreams): Promise<{ url: string; stop(): Promise<void> }> {
  const worker = await startMiniflareWorker({ main: BARE, durableObjects: { HUB: "BareHub" } });
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test/bench/bare/sidecar.ts"), worker.url, up.ollama], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const stop = async () => {
    child.kill();
    await worker.stop();
  };
  const connected = await new Promise<boolean>((resolve) => {
    child.stdout?.once("data", () => resolve(true));
    child.once("exit", () => resolve(false));
  });
  if (!connected) {
    await stop();
    throw new Error("the bare tunnel's home process did not connect");
  }
  return { url: worker.url, stop };
}

function hearthVars(up: Upstreams): Record<string, string> {
  return { ...cloudVars({ url: up.openai }), HEARTH_AUTO_TARGETS: "openai/gpt-4o-mini" };
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
  let bare: Awaited<ReturnType<typeof startBare>> | undefined;
  const stop = async () => {
    await sidecar?.stop("SIGTERM");
    await bare?.stop();
    await hearth.stop();
    await floor.stop();
  };
  try {
    if (kind === "miniflare") bare = await startBare(up);
    const home = await hearth.createUser("home");
    const offline = await hearth.createUser("offline");
    const cloudOnly = await hearth.createUser("cloud-only", { mode: "cloud_only" });
    sidecar = await startSidecar({ workerUrl: hearth.url, token: home.sidecarToken, apiKey: home.apiKey, ollama: up.ollama, logLevel: "warn", args: ["--slots", "4", "--queue", "16"] });
    return { name: kind === "wrangler" ? "wrangler dev" : "Miniflare direct", hearth: hearth.url, floor: floor.url, ...(bare ? { bare: bare.url } : {}), users: { home, offline, cloudOnly }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * `pnpm bench [--portkey DIR]`: what a gateway adds to a chat request, in one run, side by side, all
 * against the same zero-delay fake OpenAI in a separate process:
 *   direct       the client calls the fake
 *   floor        an empty pass-through Worker under wrangler dev (the platform's own cost)
 *   bare         the old design's floor (bare-gateway.ts): streams the upstream and reads every chunk
 *                in JavaScript, as issue 9's design required, with none of Hearth's code
 *   lean         the cheapest design that still enforces the deadlines (lean/worker.ts): a whole
 *                answer fetched whole under first-byte and total deadlines; a stream carried natively
 *                by tee() while the other branch is read lazily for the first-content and idle clocks.
 *                A gateway's own share is its figure above lean
 *   hearth       Hearth under wrangler dev, model `openai/gpt-4o-mini`
 *   portkey      with --portkey DIR: Portkey's open-source gateway under its own wrangler dev
 * Four measures: a short answer (the fake's echo of a five-word prompt, a few chunks) and a long one
 * (~1,000 tokens: "answer in 1000 words", one chunk per word when streamed), each non-streaming
 * (whole response) and streaming (to the end of the stream; first byte and first content recorded):
 * N sequential requests per variant interleaved in a shuffled order per round after warm-up rounds.
 * Throughput: 16 clients for S seconds per variant in half-second windows taken in turn, short and
 * long, non-streaming, as a share of the floor's. Every answer is checked (status; a stream must end
 * with `data: [DONE]`; a long answer must hold its 1,000 words): a bad answer is counted in its
 * variant's row (the first one's message shown). Each gateway's CPU per request is read from /proc for
 * its whole wrangler dev process tree, workerd and wrangler's Node apart: steadier than latency when
 * other work shares the machine. Portkey runs on this workspace's wrangler (4.86.0) with its own
 * wrangler.toml's compatibility settings (portkey.ts), routed to the fake by `x-portkey-provider:
 * openai` and `x-portkey-custom-host: <fake>/v1`.
 *
 * Options: --requests N short (default 300), --long-requests N (default 60: under wrangler dev a
 * streamed 1,000-chunk answer costs ~1 s of CPU), --seconds S per variant for throughput (default 10),
 * --clients C (default 16), --portkey DIR.
 *
 * Preparing DIR (Portkey's code stays outside this repository; Portkey is MIT-licensed):
 *   1. the library's `fetch` tool with github:Portkey-AI/gateway → /work/.mirror/Portkey-AI+gateway/repo
 *   2. pnpm bench:portkey-prepare --git-dir /work/.mirror/Portkey-AI+gateway/repo --out /tmp/portkey-1.15.2
 *      (checks tag v1.15.2 is 1.15.2 and MIT; git archive of the Worker's files; npm ci --omit=dev
 *      --ignore-scripts; its async-retry patch)
 *   3. pnpm bench --portkey /tmp/portkey-1.15.2
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, cloudVars, freePort, startWorker } from "../support/wrangler.js";
import { GatewayClient, type Gateway } from "./gateway-client.js";
import { report } from "./gateway-report.js";
import { modeLabel, sequential, throughput, type LoadTotals, type Mode, type SequentialResult } from "./phases.js";
import { startPortkey } from "./portkey.js";
import { CpuMeter, serverPid } from "./process-cpu.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "300" },
    "long-requests": { type: "string", default: "60" },
    seconds: { type: "string", default: "10" },
    clients: { type: "string", default: "16" },
    portkey: { type: "string" },
  },
});
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
/** A throughput window, and the unmeasured time at full concurrency before it. */
const WINDOW_MS = 500;
const LOAD_WARM_MS = 200;
/** The fake upstream's process, in the CPU meter. */
const UPSTREAM = "upstream";
const MODES: Mode[] = [
  { length: "short", stream: false },
  { length: "short", stream: true },
  { length: "long", stream: false },
  { length: "long", stream: true },
];
const requestsFor = (m: Mode) => Number(m.length === "short" ? values.requests : values["long-requests"]);

async function startUpstream(): Promise<{ url: string; pid: number | undefined; stop: () => void }> {
  const port = await freePort();
  // node --import tsx, not the tsx wrapper: killing the wrapper would leave the server running.
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test/fakes/serve.ts"), "--openai-port", String(port)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve) => child.stdout?.once("data", () => resolve()));
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => child.kill() };
}

async function main(): Promise<void> {
  const stops: (() => Promise<void> | void)[] = [];
  const clients: GatewayClient[] = [];
  const logs = new Map<string, () => string>();
  try {
    const upstream = await startUpstream();
    stops.push(upstream.stop);
    const vars = cloudVars(upstream);
    const floor = await startWorker({ vars, main: join(ROOT, "test/bench/passthrough-worker.ts") });
    stops.push(floor.stop);
    const bare = await startWorker({ vars, main: join(ROOT, "test/bench/bare-gateway.ts") });
    stops.push(bare.stop);
    const lean = await startWorker({ vars, main: join(ROOT, "test/bench/lean/worker.ts") });
    stops.push(lean.stop);
    const hearth = await startWorker({ vars, rateLimitPerMinute: 1_000_000 });
    stops.push(hearth.stop);
    const portkey = values.portkey ? await startPortkey(values.portkey) : undefined;
    if (portkey) stops.push(portkey.stop);
    const { apiKey } = await hearth.createUser("bench");
    logs.set("floor", floor.output).set("bare", bare.output).set("lean", lean.output).set("hearth", hearth.output);
    if (portkey) logs.set("portkey", portkey.output);

    const key = vars.OPENAI_API_KEY ?? "";
    const gateways: Gateway[] = [
      { name: "direct", url: `${upstream.url}/v1/chat/completions`, headers: { authorization: `Bearer ${key}` }, model: "gpt-4o-mini" },
      { name: "floor", url: `${floor.url}/v1/chat/completions`, headers: {}, model: "gpt-4o-mini" },
      { name: "bare", url: `${bare.url}/v1/chat/completions`, headers: {}, model: "gpt-4o-mini" },
      { name: "lean", url: `${lean.url}/v1/chat/completions`, headers: {}, model: "gpt-4o-mini" },
      { name: "hearth", url: `${hearth.url}/v1/chat/completions`, headers: { authorization: `Bearer ${apiKey}` }, model: "openai/gpt-4o-mini" },
      ...(portkey ? [portkey.gateway(upstream, key)] : []),
    ];
    clients.push(...gateways.map((g) => new GatewayClient(g, CLIENTS)));
    process.stderr.write(`variants: ${gateways.map((g) => g.name).join(", ")}${portkey ? ` (Portkey ${portkey.version})` : ""}; ${MODES.map((m) => `${modeLabel(m)} ×${requestsFor(m)}`).join(", ")}; throughput ${CLIENTS} clients × ${SECONDS} s each\n`);

    const servers = new Map<string, number | undefined>([
      ["floor", serverPid(Number(new URL(floor.url).port))],
      ["bare", serverPid(Number(new URL(bare.url).port))],
      ["lean", serverPid(Number(new URL(lean.url).port))],
      ["hearth", serverPid(Number(new URL(hearth.url).port))],
    ]);
    if (portkey) servers.set("portkey", serverPid(Number(new URL(portkey.url).port)));
    servers.set(UPSTREAM, upstream.pid);
    const meter = new CpuMeter(new Map([...servers].filter((e): e is [string, number] => e[1] !== undefined)));

    const loadAtStart = loadavg()[0] ?? NaN;
    const started = Date.now();
    const latency = new Map<Mode, SequentialResult>();
    for (const [i, m] of MODES.entries()) {
      latency.set(m, await sequential(clients, m, requestsFor(m), { seed: i + 1, warmUp: m.length === "short" ? 30 : 10, meter }));
      process.stderr.write(`latency, ${modeLabel(m)}: done\n`);
    }
    const load = new Map<Mode, Map<string, LoadTotals>>();
    for (const m of MODES.filter((x) => !x.stream)) {
      load.set(m, await throughput(clients, { mode: m, clients: CLIENTS, rounds: 2 * SECONDS, windowMs: WINDOW_MS, warmMs: LOAD_WARM_MS, pauseMs: 300, meter, upstream: UPSTREAM }));
      process.stderr.write(`throughput, ${modeLabel(m)}: done\n`);
    }
    process.stdout.write(
      report({
        names: gateways.map((g) => g.name), modes: MODES, latency, load, requests: requestsFor, seconds: SECONDS, clients: CLIENTS,
        portkey: portkey?.version, loadAverage: [loadAtStart, loadavg()[0] ?? NaN], minutes: (Date.now() - started) / 60_000,
      }),
    );
    for (const [name, w] of [["floor", floor], ["bare", bare], ["lean", lean], ["hearth", hearth]] as const) {
      if (w.printed() > 100_000) process.stderr.write(`${name}'s wrangler dev printed ${(w.printed() / 1e6).toFixed(1)} MB during the bench; its last lines:\n${w.output().trim().slice(-1500)}\n`);
    }
    // A variant that failed: show what its wrangler dev said.
    for (const [name, log] of logs) {
      const failed = [...latency.values()].some((x) => x.failed.has(name)) || [...load.values()].some((x) => (x.get(name)?.failed ?? 0) > 0);
      if (failed) process.stderr.write(`${name}'s wrangler dev output (last 3,000 characters):\n${log().trim().slice(-3000)}\n`);
    }
  } finally {
    for (const c of clients) c.close();
    // Every server is stopped even when another's stop fails (a failed run once left the fake running).
    for (const stop of stops.reverse()) {
      await Promise.resolve()
        .then(stop)
        .catch((err: unknown) => process.stderr.write(`stopping a server failed: ${err instanceof Error ? err.message : String(err)}\n`));
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

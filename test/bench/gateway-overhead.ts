/**
 * `pnpm bench [--portkey DIR]`: what a gateway adds to a chat request, in one run, side by side, all
 * against the same zero-delay fake OpenAI in a separate process:
 *   direct       the client calls the fake
 *   floor        an empty pass-through Worker under wrangler dev (the platform's own cost)
 *   bare         the design's floor (bare-gateway.ts): an empty Worker that streams the upstream and
 *                reads it in JavaScript as issue 9's design requires, with none of Hearth's code —
 *                what it costs above `floor` no gateway built this way can avoid here
 *   hearth       Hearth under wrangler dev, model `openai/gpt-4o-mini`
 *   portkey      with --portkey DIR: Portkey's open-source gateway under its own wrangler dev
 * Three measures: non-streaming (whole response), streaming (`stream: true`, to the end of the
 * stream; first byte and first content also recorded), each as N sequential requests per variant
 * interleaved in a shuffled order per round after 30 warm-up rounds; and throughput, 16 clients for
 * S seconds per variant in half-second windows taken in turn (non-streaming), as a share of the
 * floor's. A gateway's own cost is its figure above the floor. Every answer is checked (status; a
 * stream must end with `data: [DONE]`): one bad answer aborts the bench naming the variant. Each
 * gateway's CPU per request (its whole wrangler dev process tree, from /proc) is shown too:
 * steadier than latency when other work shares the machine. Portkey runs on this workspace's
 * wrangler (4.86.0) with its own wrangler.toml's compatibility settings (portkey.ts), routed to the
 * fake by `x-portkey-provider: openai` and `x-portkey-custom-host: <fake>/v1`.
 *
 * Options: --requests N (default 300), --seconds S per variant for throughput (default 10),
 * --clients C (default 16), --portkey DIR.
 *
 * Preparing DIR (Portkey's code stays outside this repository; Portkey is MIT-licensed):
 *   1. the library's `fetch` tool with github:Portkey-AI/gateway → /work/.mirror/Portkey-AI+gateway/repo
 *   2. pnpm tsx test/bench/portkey-prepare.ts --git-dir /work/.mirror/Portkey-AI+gateway/repo --out /tmp/portkey-1.15.2
 *      (checks tag v1.15.2 is 1.15.2 and MIT; git archive of the Worker's files; npm ci --omit=dev
 *      --ignore-scripts; its async-retry patch)
 *   3. pnpm bench --portkey /tmp/portkey-1.15.2
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { mulberry32 } from "../../scripts/lib/prng.js";
import { ROOT, cloudVars, freePort, startWorker } from "../support/wrangler.js";
import { BadAnswer, GatewayClient, load, type Gateway, type Timing } from "./gateway-client.js";
import { report, type Results } from "./gateway-report.js";
import { startPortkey } from "./portkey.js";
import { CpuMeter, serverPid } from "./process-cpu.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "300" },
    seconds: { type: "string", default: "10" },
    clients: { type: "string", default: "16" },
    portkey: { type: "string" },
  },
});
const N = Number(values.requests);
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const WARM_UP = 30;
/** A throughput window, and the unmeasured time at full concurrency before it. */
const WINDOW_MS = 500;
const LOAD_WARM_MS = 200;
/** The fake upstream's process, in the CPU meter. */
const UPSTREAM = "upstream";

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

/** One round visits every client once, in an order shuffled per round (a variant's leftover work — Hearth's background stats record — lands on a random neighbour, not always the same one). */
async function sequential(clients: GatewayClient[], stream: boolean, rounds: number, seed: number): Promise<Map<string, Timing[]>> {
  const random = mulberry32(seed);
  const out = new Map(clients.map((c) => [c.gateway.name, [] as Timing[]]));
  for (let round = 0; round < rounds; round++) {
    const order = clients.map((c) => ({ c, k: random() })).sort((a, b) => a.k - b.k);
    for (const { c } of order) out.get(c.gateway.name)?.push(await c.send(stream));
  }
  return out;
}

export interface LoadTotals {
  perSecond: number;
  latencies: number[];
  /** The variant's process tree's CPU per completed request (ms). */
  cpuMs: number;
  /** The same plus the fake upstream's and this client's CPU: all the work one request costs the machine. */
  systemCpuMs: number;
  /** Each round's rate divided by the floor's in the same round. */
  shares: number[];
}

/**
 * Half-second windows, one per variant per round, 2×SECONDS rounds, so each variant is measured for
 * SECONDS in all: this machine's load from other work comes and goes in bursts of seconds, and a fine
 * interleave spreads it over all variants. The order is the same every round on purpose: a variant
 * then waits a fixed ~3 s between its windows, well under the fake upstream's 5 s keep-alive — a
 * Worker reusing a pooled connection just as the fake closes it fails the request ("Network
 * connection lost"), which a shuffled order with gaps near 5 s did hit.
 */
async function throughput(clients: GatewayClient[], meter: CpuMeter): Promise<Map<string, LoadTotals>> {
  const rounds = 2 * SECONDS;
  const out = new Map(clients.map((c) => [c.gateway.name, { perSecond: 0, latencies: [] as number[], cpuMs: 0, systemCpuMs: 0, shares: [] as number[] }]));
  const cpu = new Map(clients.map((c) => [c.gateway.name, { ms: 0, systemMs: 0, requests: 0 }]));
  for (let round = 0; round < rounds; round++) {
    const rates = new Map<string, number>();
    for (const c of clients) {
      const name = c.gateway.name;
      meter.mark();
      const self = process.cpuUsage();
      const r = await load(c, CLIENTS, WINDOW_MS, LOAD_WARM_MS);
      // Let the variant's background work (Hearth's stats records) finish before the next one's window.
      await new Promise((r) => setTimeout(r, 300));
      const used = cpu.get(name);
      if (used) {
        const trees = meter.mark();
        const { user, system } = process.cpuUsage(self);
        const gateway = trees.get(name);
        used.ms += gateway ?? NaN;
        used.systemMs += (gateway ?? 0) + (trees.get(UPSTREAM) ?? 0) + (user + system) / 1000;
        used.requests += r.completed;
      }
      rates.set(name, r.perSecond);
      const acc = out.get(name);
      acc?.latencies.push(...r.latencies);
      if (acc) acc.perSecond += r.perSecond / rounds;
    }
    for (const [name, rate] of rates) out.get(name)?.shares.push(rate / (rates.get("floor") ?? NaN));
  }
  for (const [name, acc] of out) {
    const used = cpu.get(name);
    acc.cpuMs = (used?.ms ?? NaN) / (used?.requests ?? NaN);
    acc.systemCpuMs = (used?.systemMs ?? NaN) / (used?.requests ?? NaN);
  }
  return out;
}

/** CPU ms per request of each variant's process tree over a phase of `n` requests each. */
const perRequest = (used: Map<string, number>, n: number) => new Map([...used].map(([name, ms]) => [name, ms / n]));

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
    const hearth = await startWorker({ vars, rateLimitPerMinute: 1_000_000 });
    stops.push(hearth.stop);
    const portkey = values.portkey ? await startPortkey(values.portkey) : undefined;
    if (portkey) stops.push(portkey.stop);
    const { apiKey } = await hearth.createUser("bench");
    logs.set("floor", floor.output).set("bare", bare.output).set("hearth", hearth.output);
    if (portkey) logs.set("portkey", portkey.output);

    const key = vars.OPENAI_API_KEY ?? "";
    const gateways: Gateway[] = [
      { name: "direct", url: `${upstream.url}/v1/chat/completions`, headers: { authorization: `Bearer ${key}` }, model: "gpt-4o-mini" },
      { name: "floor", url: `${floor.url}/v1/chat/completions`, headers: {}, model: "gpt-4o-mini" },
      { name: "bare", url: `${bare.url}/v1/chat/completions`, headers: {}, model: "gpt-4o-mini" },
      { name: "hearth", url: `${hearth.url}/v1/chat/completions`, headers: { authorization: `Bearer ${apiKey}` }, model: "openai/gpt-4o-mini" },
      ...(portkey ? [portkey.gateway(upstream, key)] : []),
    ];
    clients.push(...gateways.map((g) => new GatewayClient(g, CLIENTS)));
    process.stderr.write(`variants: ${gateways.map((g) => g.name).join(", ")}${portkey ? ` (Portkey ${portkey.version})` : ""}; ${N} sequential requests each per mode after ${WARM_UP} warm-up; throughput ${CLIENTS} clients × ${SECONDS} s each\n`);

    const servers = new Map<string, number | undefined>([
      ["floor", serverPid(Number(new URL(floor.url).port))],
      ["bare", serverPid(Number(new URL(bare.url).port))],
      ["hearth", serverPid(Number(new URL(hearth.url).port))],
    ]);
    if (portkey) servers.set("portkey", serverPid(Number(new URL(portkey.url).port)));
    servers.set(UPSTREAM, upstream.pid);
    const meter = new CpuMeter(new Map([...servers].filter((e): e is [string, number] => e[1] !== undefined)));

    const loadAtStart = loadavg()[0] ?? NaN;
    await sequential(clients, false, WARM_UP, 1);
    meter.mark();
    const plain = await sequential(clients, false, N, 2);
    const plainCpu = perRequest(meter.mark(), N);
    process.stderr.write("non-streaming done\n");
    await sequential(clients, true, WARM_UP, 3);
    meter.mark();
    const stream = await sequential(clients, true, N, 4);
    const streamCpu = perRequest(meter.mark(), N);
    process.stderr.write("streaming done\n");
    const load = await throughput(clients, meter);
    const cpu = { plain: plainCpu, stream: streamCpu, load: new Map([...load].filter(([, l]) => !Number.isNaN(l.cpuMs)).map(([name, l]) => [name, l.cpuMs])) };
    const results: Results = { names: gateways.map((g) => g.name), plain, stream, load, cpu, n: N, seconds: SECONDS, clients: CLIENTS,
      portkey: portkey?.version, loadAverage: [loadAtStart, loadavg()[0] ?? NaN] };
    process.stdout.write(report(results));
  } catch (err) {
    // A bad answer names its variant: show what that variant's wrangler dev said.
    const name = err instanceof BadAnswer ? /^\w+/.exec(err.message)?.[0] : undefined;
    const log = name ? logs.get(name)?.().trim() : undefined;
    if (log) process.stderr.write(`${name}'s wrangler dev output (last 3,000 characters):\n${log.slice(-3000)}\n`);
    throw err;
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

/**
 * The gateway benches' two kinds of measure, shared by `pnpm bench` (wrangler dev) and
 * `pnpm bench:gateway-miniflare` (the runtime alone):
 *   sequential  N rounds, each visiting every variant once in an order shuffled per round, one
 *               request at a time: latency, and each variant's CPU per request
 *   throughput  C clients at once, in windows taken in turn per variant: requests/s as a share of
 *               the floor's, latency under load, CPU per request
 * A failed request is counted in its variant's row, not thrown: a gateway that fails shows it.
 */
import { mulberry32 } from "../../scripts/lib/prng.js";
import { load, type GatewayClient, type Length, type Timing } from "./gateway-client.js";
import type { CpuMeter, TreeCpu } from "./process-cpu.js";

export interface Mode {
  stream: boolean;
  length: Length;
}

export const modeLabel = (m: Mode) => `${m.length} answer, ${m.stream ? "streaming" : "non-streaming"}`;

export interface Failures {
  failed: Map<string, number>;
  /** The first failure's message per variant. */
  first: Map<string, string>;
}

export interface SequentialResult extends Failures {
  timings: Map<string, Timing[]>;
  /** CPU ms per request of each variant's process tree (where the meter knows it). */
  cpu: Map<string, TreeCpu>;
}

const perRequest = (t: TreeCpu, n: number): TreeCpu => ({ all: t.all / n, workerd: t.workerd / n });

/** The meter reading of this phase per variant, divided by the requests each made. */
function cpuPer(used: Map<string, TreeCpu> | undefined, requests: (name: string) => number): Map<string, TreeCpu> {
  return new Map([...(used ?? [])].filter(([name]) => requests(name) > 0).map(([name, t]) => [name, perRequest(t, requests(name))]));
}

/**
 * `warmUp` unmeasured rounds, then `rounds` measured ones. The shuffle spreads a variant's leftover
 * work (Hearth's background stats record) over random neighbours rather than always the same one.
 */
export async function sequential(clients: GatewayClient[], mode: Mode, rounds: number, opts: { seed: number; warmUp: number; meter?: CpuMeter }): Promise<SequentialResult> {
  const random = mulberry32(opts.seed);
  const out: SequentialResult = { timings: new Map(clients.map((c) => [c.gateway.name, []])), failed: new Map(), first: new Map(), cpu: new Map() };
  const attempts = new Map<string, number>();
  for (let round = -opts.warmUp; round < rounds; round++) {
    if (round === 0) opts.meter?.markSplit();
    const order = clients.map((c) => ({ c, k: random() })).sort((a, b) => a.k - b.k);
    for (const { c } of order) {
      const name = c.gateway.name;
      try {
        const t = await c.send(mode.stream, mode.length);
        if (round >= 0) out.timings.get(name)?.push(t);
      } catch (err) {
        out.failed.set(name, (out.failed.get(name) ?? 0) + 1);
        if (!out.first.has(name)) out.first.set(name, err instanceof Error ? err.message : String(err));
      }
      if (round >= 0) attempts.set(name, (attempts.get(name) ?? 0) + 1);
    }
  }
  out.cpu = cpuPer(opts.meter?.markSplit(), (name) => attempts.get(name) ?? 0);
  return out;
}

export interface LoadTotals {
  perSecond: number;
  latencies: number[];
  failed: number;
  firstFailure: string | undefined;
  /** The variant's process tree's CPU per completed request (ms). */
  cpu: TreeCpu | undefined;
  /** The same plus the fake upstream's and this client's CPU: all the work one request costs the machine. */
  systemCpuMs: number;
  /** Each round's rate divided by the floor's in the same round. */
  shares: number[];
}

export interface ThroughputOptions {
  mode: Mode;
  clients: number;
  rounds: number;
  windowMs: number;
  /** Unmeasured time at full concurrency before each window. */
  warmMs: number;
  /** A pause after each window, for the variant's background work to finish before the next one's. */
  pauseMs: number;
  meter: CpuMeter;
  /** The meter's name for the fake upstream's process, counted in systemCpuMs. */
  upstream?: string;
}

/**
 * Windows, one per variant per round, in the same order every round on purpose: a variant then
 * waits a fixed time between its windows, well under the fake upstream's 5 s keep-alive (a Worker
 * reusing a pooled connection just as the fake closes it fails the request: "Network connection
 * lost"). This machine's load from other work comes and goes in bursts of seconds; a fine interleave
 * spreads it over all variants.
 */
export async function throughput(clients: GatewayClient[], o: ThroughputOptions): Promise<Map<string, LoadTotals>> {
  const out = new Map<string, LoadTotals>(clients.map((c) => [c.gateway.name, { perSecond: 0, latencies: [], failed: 0, firstFailure: undefined, cpu: undefined, systemCpuMs: 0, shares: [] }]));
  const used = new Map(clients.map((c) => [c.gateway.name, { all: 0, workerd: 0, system: 0, requests: 0, known: false }]));
  for (let round = 0; round < o.rounds; round++) {
    const rates = new Map<string, number>();
    for (const c of clients) {
      const name = c.gateway.name;
      o.meter.markSplit();
      const self = process.cpuUsage();
      const r = await load(c, o.clients, o.windowMs, o.warmMs, o.mode);
      await new Promise((resolve) => setTimeout(resolve, o.pauseMs));
      const trees = o.meter.markSplit();
      const { user, system } = process.cpuUsage(self);
      const u = used.get(name);
      const tree = trees.get(name);
      if (u) {
        u.known ||= tree !== undefined;
        u.all += tree?.all ?? 0;
        u.workerd += tree?.workerd ?? 0;
        u.system += (tree?.all ?? 0) + (o.upstream ? (trees.get(o.upstream)?.all ?? 0) : 0) + (user + system) / 1000;
        u.requests += r.completed;
      }
      rates.set(name, r.perSecond);
      const acc = out.get(name);
      if (!acc) continue;
      acc.latencies.push(...r.latencies);
      acc.perSecond += r.perSecond / o.rounds;
      acc.failed += r.failed;
      acc.firstFailure ??= r.firstFailure;
    }
    for (const [name, rate] of rates) out.get(name)?.shares.push(rate / (rates.get("floor") ?? NaN));
  }
  for (const [name, acc] of out) {
    const u = used.get(name);
    if (!u || u.requests === 0) continue;
    if (u.known) acc.cpu = { all: u.all / u.requests, workerd: u.workerd / u.requests };
    acc.systemCpuMs = u.system / u.requests;
  }
  return out;
}

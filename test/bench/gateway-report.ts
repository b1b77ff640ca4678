/** The gateway benchmark's tables: per measure, each variant's percentiles and its cost above the floor; then the issue's summary and targets. */
import type { Timing } from "./gateway-client.js";
import { summarize, table, type Summary } from "./stats.js";

export interface Results {
  names: string[];
  plain: Map<string, Timing[]>;
  stream: Map<string, Timing[]>;
  load: Map<string, { perSecond: number; latencies: number[]; shares: number[]; systemCpuMs: number }>;
  /** CPU ms per request of each gateway's process tree, per measure (direct has none). */
  cpu: Record<"plain" | "stream" | "load", Map<string, number>>;
  n: number;
  seconds: number;
  clients: number;
  /** Portkey's version when it ran. */
  portkey: string | undefined;
  /** The machine's 1-minute load average when measuring began and ended (other work on it skews every figure). */
  loadAverage: [number, number];
}

/** Portkey 1.15.2's non-streaming p50 above the floor as the issue measured it, for a run without --portkey. */
const ISSUE_PORTKEY_PLAIN_MS = 1.8;
const FLOOR = "floor";
/** The design's floor: streams the upstream and reads it in JavaScript, with none of Hearth's code (bare-gateway.ts). */
const BARE = "bare";

const signed = (ms: number) => (Number.isNaN(ms) ? "–" : `${ms >= 0 ? "+" : "−"}${Math.abs(ms).toFixed(2)}`);
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

function summaries(results: Results, samples: Map<string, Timing[]>, pick: (t: Timing) => number): Map<string, Summary> {
  return new Map(results.names.map((n) => [n, summarize((samples.get(n) ?? []).map(pick))]));
}

/** A variant's CPU per request and its difference from the floor's ("" where not measured). */
function cpuCells(n: string, cpu: Map<string, number>): [string | number, string] {
  const ms = cpu.get(n);
  if (ms === undefined) return ["", ""];
  return [ms, n === FLOOR ? "" : signed(ms - (cpu.get(FLOOR) ?? NaN))];
}

/** p50/p90/p99/mean, each percentile above the floor's, and the gateway's CPU per request. */
function latencyTable(names: string[], s: Map<string, Summary>, cpu: Map<string, number>): string {
  const floor = s.get(FLOOR);
  const rows = names.map((n) => {
    const x = s.get(n);
    const above = (k: "p50" | "p90" | "p99") => (n === FLOOR ? "" : signed((x?.[k] ?? NaN) - (floor?.[k] ?? NaN)));
    return [n, String(x?.n ?? 0), x?.p50 ?? NaN, x?.p90 ?? NaN, x?.p99 ?? NaN, x?.mean ?? NaN, above("p50"), above("p90"), above("p99"), ...cpuCells(n, cpu)];
  });
  return table(["variant", "n", "p50", "p90", "p99", "mean", "p50 − floor", "p90 − floor", "p99 − floor", "CPU ms/req", "CPU − floor"], rows);
}

function streamStartTable(names: string[], byte: Map<string, Summary>, content: Map<string, Summary>): string {
  const fb = byte.get(FLOOR);
  const fc = content.get(FLOOR);
  const rows = names.map((n) => {
    const b = byte.get(n);
    const c = content.get(n);
    return [n, b?.p50 ?? NaN, b?.p90 ?? NaN, n === FLOOR ? "" : signed((b?.p50 ?? NaN) - (fb?.p50 ?? NaN)), c?.p50 ?? NaN, c?.p90 ?? NaN, n === FLOOR ? "" : signed((c?.p50 ?? NaN) - (fc?.p50 ?? NaN))];
  });
  return table(["variant", "first byte p50", "p90", "p50 − floor", "first content p50", "p90", "p50 − floor"], rows);
}

function loadTable(results: Results): string {
  const floor = results.load.get(FLOOR)?.perSecond ?? NaN;
  const rows = results.names.map((n) => {
    const r = results.load.get(n);
    const s = summarize(r?.latencies ?? []);
    const shares = [...(r?.shares ?? [])].sort((a, b) => a - b);
    const spread = n === FLOOR ? "" : `${pct(shares[0] ?? NaN)}–${pct(shares[shares.length - 1] ?? NaN)}`;
    return [n, r?.perSecond ?? NaN, pct((r?.perSecond ?? NaN) / floor), n === FLOOR ? "" : pct(summarize(shares).p50), spread, s.p50, s.p99, ...cpuCells(n, results.cpu.load), r?.systemCpuMs ?? NaN, pct(cpuShare(results, n))];
  });
  return table(["variant", "requests/s", "share of floor", "per-round share: median", "min–max", "latency p50", "p99", "CPU ms/req", "CPU − floor", "all CPU ms/req", "share by CPU"], rows);
}

/**
 * The share of the floor's throughput that CPU per request implies: with both cores saturated,
 * requests/s is the cores' time over all the CPU one request costs (gateway, fake upstream, client).
 * Much steadier than the measured rate while other work comes and goes on the machine.
 */
function cpuShare(results: Results, n: string): number {
  return (results.load.get(FLOOR)?.systemCpuMs ?? NaN) / (results.load.get(n)?.systemCpuMs ?? NaN);
}

interface Verdict {
  plain: number;
  stream: number;
  share: number;
  cpuShare: number;
}

/** Each gateway's p50 above `base` per measure, and its throughput as a share of base's. */
function verdictsOver(results: Results, plain: Map<string, Summary>, stream: Map<string, Summary>, base: string, names: string[]): Map<string, Verdict> {
  const baseRate = results.load.get(base)?.perSecond ?? NaN;
  const baseCpu = results.load.get(base)?.systemCpuMs ?? NaN;
  const above = (s: Map<string, Summary>, n: string) => (s.get(n)?.p50 ?? NaN) - (s.get(base)?.p50 ?? NaN);
  return new Map(
    names
      .filter((n) => results.names.includes(n))
      .map((n) => [n, { plain: above(plain, n), stream: above(stream, n), share: (results.load.get(n)?.perSecond ?? NaN) / baseRate, cpuShare: baseCpu / (results.load.get(n)?.systemCpuMs ?? NaN) }]),
  );
}

function verdicts(results: Results, plain: Map<string, Summary>, stream: Map<string, Summary>): Map<string, Verdict> {
  return verdictsOver(results, plain, stream, FLOOR, ["portkey", BARE, "hearth"]);
}

/** The design's floor against the pass-through floor, and Hearth's own share above the design's floor. */
function designFloor(results: Results, plain: Map<string, Summary>, stream: Map<string, Summary>, v: Map<string, Verdict>): string {
  const bare = v.get(BARE);
  const own = verdictsOver(results, plain, stream, BARE, ["hearth"]).get("hearth");
  if (!bare || !own) return "";
  return [
    "The design's floor (`bare`: streams the upstream and reads it in JavaScript, as issue 9 requires, with none of Hearth's code):",
    `  bare above the pass-through floor: non-streaming ${signed(bare.plain)} ms, streaming ${signed(bare.stream)} ms, throughput ${pct(bare.share)} of the floor's (by CPU ${pct(bare.cpuShare)})`,
    `  Hearth's own share, above bare:    non-streaming ${signed(own.plain)} ms, streaming ${signed(own.stream)} ms, throughput ${pct(own.share)} of bare's (by CPU ${pct(own.cpuShare)})`,
  ].join("\n");
}

function targets(v: Map<string, Verdict>): string {
  const hearth = v.get("hearth");
  if (!hearth) return "";
  const portkey = v.get("portkey");
  const plainLimit = (portkey?.plain ?? ISSUE_PORTKEY_PLAIN_MS) / 2;
  const source = portkey ? "this run's Portkey" : `Portkey's +${ISSUE_PORTKEY_PLAIN_MS} ms as measured in the issue (run with --portkey to compare in this run)`;
  const check = (ok: boolean) => (ok ? "met" : "NOT met");
  return [
    "Targets for Hearth (issue 9):",
    `  non-streaming p50 above floor ≤ half of ${source}: ≤ ${plainLimit.toFixed(2)} ms — Hearth ${signed(hearth.plain)} ms: ${check(hearth.plain <= plainLimit)}`,
    `  streaming p50 above floor ≤ 1 ms — Hearth ${signed(hearth.stream)} ms: ${check(hearth.stream <= 1)}`,
    `  throughput ≥ 95% of the floor's — Hearth ${pct(hearth.share)}: ${check(hearth.share >= 0.95)} (implied by CPU per request: ${pct(hearth.cpuShare)}: ${check(hearth.cpuShare >= 0.95)})`,
  ].join("\n");
}

function summaryTable(v: Map<string, Verdict>, clients: number): string {
  const label: Record<string, string> = { portkey: "Portkey", bare: "bare (the design's floor)", hearth: "Hearth (`openai/<model>`)" };
  const rows = [...v].map(([n, x]) => [label[n] ?? n, `${signed(x.plain)} ms`, `${signed(x.stream)} ms`, pct(x.share)]);
  const headers = ["", "non-streaming", "streaming", `throughput, ${clients} clients, share of the floor's`];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function report(results: Results): string {
  const { names, n } = results;
  const plain = summaries(results, results.plain, (t) => t.total);
  const stream = summaries(results, results.stream, (t) => t.total);
  const v = verdicts(results, plain, stream);
  return [
    "",
    `Machine load average (1 min): ${results.loadAverage[0].toFixed(1)} when measuring began, ${results.loadAverage[1].toFixed(1)} at the end`,
    "",
    `Non-streaming: whole response (ms), ${n} sequential requests per variant, interleaved`,
    "",
    latencyTable(names, plain, results.cpu.plain),
    "",
    `Streaming: to the end of the stream (ms), ${n} sequential requests per variant, interleaved`,
    "",
    latencyTable(names, stream, results.cpu.stream),
    "",
    "(CPU ms/req: the gateway's whole wrangler dev process tree — its Node process and both workerd processes — per request, from /proc;",
    " steadier than latency when other work shares the machine, though heavy contention inflates it too)",
    "",
    "Streaming: to the first byte and to the first content (ms)",
    "",
    streamStartTable(names, summaries(results, results.stream, (t) => t.firstByte), summaries(results, results.stream, (t) => t.firstContent)),
    "",
    `Throughput: ${results.clients} clients, ${results.seconds} s per variant in half-second windows taken in turn (non-streaming; latency in ms under that load)`,
    "",
    loadTable(results),
    "(all CPU ms/req adds the fake upstream's and this client's CPU; share by CPU = the floor's all-CPU per request over the variant's:",
    " the share that saturated cores would give, steadier than the measured one while other work comes and goes)",
    "",
    `Summary: p50 above the floor${results.portkey ? ` (Portkey ${results.portkey})` : ""}`,
    "",
    summaryTable(v, results.clients),
    "",
    `Throughput share implied by CPU per request (see above): ${[...v].map(([n, x]) => `${n} ${pct(x.cpuShare)}`).join(", ")}`,
    "",
    targets(v),
    "",
    designFloor(results, plain, stream, v),
    "",
  ].join("\n");
}

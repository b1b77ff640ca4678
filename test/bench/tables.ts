/**
 * The gateway benches' tables, shared by `pnpm bench` and `pnpm bench:gateway-miniflare`: each
 * variant's latency percentiles above the two baselines — `floor` (the empty pass-through Worker: the
 * platform's own cost) and `lean` (the cheapest design that still enforces the deadlines: what any
 * gateway must pay; a gateway's own share is its figure above lean) — its CPU per request, its failed
 * requests; throughput as a share of the floor's and of lean's.
 */
import type { Timing } from "./gateway-client.js";
import type { LoadTotals, SequentialResult } from "./phases.js";
import type { TreeCpu } from "./process-cpu.js";
import { summarize, table, type Summary } from "./stats.js";

export const FLOOR = "floor";
export const LEAN = "lean";
const BASES = [FLOOR, LEAN] as const;

export const signed = (ms: number) => (Number.isNaN(ms) ? "–" : `${ms >= 0 ? "+" : "−"}${Math.abs(ms).toFixed(2)}`);
export const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : "–");

/** Whether CPU is shown as workerd and Node apart (wrangler dev trees) or workerd alone (Miniflare). */
export type CpuView = "split" | "workerd";

export function summaries(samples: Map<string, Timing[]>, pick: (t: Timing) => number = (t) => t.total): Map<string, Summary> {
  return new Map([...samples].map(([n, ts]) => [n, summarize(ts.map(pick))]));
}

function cpuCells(cpu: TreeCpu | undefined, view: CpuView): (string | number)[] {
  if (view === "workerd") return [cpu?.workerd ?? ""];
  return cpu ? [cpu.all, cpu.workerd, cpu.all - cpu.workerd] : ["", "", ""];
}

const cpuHeads = (view: CpuView) => (view === "workerd" ? ["CPU ms/req (workerd)"] : ["CPU ms/req", "workerd", "node"]);

/** Above each baseline: "" for the baseline itself, "–" when the run has no such baseline. */
function above(name: string, base: string, value: (n: string) => number): string {
  return name === base ? "" : signed(value(name) - value(base));
}

/** One measure's latency table: percentiles, each above floor and lean, CPU per request, failures. */
export function latencyTable(names: string[], r: SequentialResult, view: CpuView, pick?: (t: Timing) => number): string {
  const s = summaries(r.timings, pick);
  const cpuOf = (n: string) => r.cpu.get(n);
  const total = (n: string) => cpuOf(n)?.all ?? NaN;
  const rows = names.map((n) => {
    const x = s.get(n);
    const p = (k: "p50" | "p90" | "p99") => (m: string) => s.get(m)?.[k] ?? NaN;
    return [
      n, String(x?.n ?? 0), String(r.failed.get(n) ?? 0), x?.p50 ?? NaN, x?.p90 ?? NaN, x?.p99 ?? NaN,
      ...BASES.flatMap((b) => [above(n, b, p("p50")), above(n, b, p("p90")), above(n, b, p("p99"))]),
      ...cpuCells(cpuOf(n), view),
      ...BASES.map((b) => (cpuOf(n) ? above(n, b, total) : "")),
    ];
  });
  const heads = ["variant", "n", "failed", "p50", "p90", "p99", ...BASES.flatMap((b) => [`p50 − ${b}`, `p90 − ${b}`, `p99 − ${b}`]), ...cpuHeads(view), ...BASES.map((b) => `CPU − ${b}`)];
  return table(heads, rows) + failureLines(names, r.first);
}

/** Streaming: first byte and first content, p50/p90 and p50 above each baseline. */
export function streamStartTable(names: string[], r: SequentialResult): string {
  const byte = summaries(r.timings, (t) => t.firstByte);
  const content = summaries(r.timings, (t) => t.firstContent);
  const rows = names.map((n) => {
    const b = byte.get(n);
    const c = content.get(n);
    const p50 = (s: Map<string, Summary>) => (m: string) => s.get(m)?.p50 ?? NaN;
    return [n, b?.p50 ?? NaN, b?.p90 ?? NaN, ...BASES.map((x) => above(n, x, p50(byte))), c?.p50 ?? NaN, c?.p90 ?? NaN, ...BASES.map((x) => above(n, x, p50(content)))];
  });
  return table(["variant", "first byte p50", "p90", ...BASES.map((b) => `p50 − ${b}`), "first content p50", "p90", ...BASES.map((b) => `p50 − ${b}`)], rows);
}

/** Throughput: requests/s, its share of the floor's and of lean's, latency under load, CPU per request, failures. */
export function loadTable(names: string[], load: Map<string, LoadTotals>, view: CpuView): string {
  const rate = (n: string) => load.get(n)?.perSecond ?? NaN;
  const rows = names.map((n) => {
    const r = load.get(n);
    const s = summarize(r?.latencies ?? []);
    const shares = [...(r?.shares ?? [])].sort((a, b) => a - b);
    const spread = n === FLOOR ? "" : `${pct(summarize(shares).p50)} (${pct(shares[0] ?? NaN)}–${pct(shares[shares.length - 1] ?? NaN)})`;
    const cpu = (m: string) => load.get(m)?.cpu?.all ?? NaN;
    const byCpu = (load.get(FLOOR)?.systemCpuMs ?? NaN) / (r?.systemCpuMs ?? NaN);
    return [n, rate(n), String(r?.failed ?? 0), pct(rate(n) / rate(FLOOR)), spread, load.has(LEAN) ? pct(rate(n) / rate(LEAN)) : "–", s.p50, s.p99, ...cpuCells(r?.cpu, view), above(n, FLOOR, cpu), above(n, LEAN, cpu), pct(byCpu)];
  });
  const first = new Map([...load].flatMap(([n, l]) => (l.firstFailure ? [[n, l.firstFailure] as const] : [])));
  return (
    table(["variant", "requests/s", "failed", "share of floor", "per round: median (min–max)", "share of lean", "latency p50", "p99", ...cpuHeads(view), "CPU − floor", "CPU − lean", "share by CPU"], rows) +
    "\n(share by CPU: the floor's CPU per request — its process tree, the fake upstream's where measured, this client's — over the variant's:\n" +
    " the share saturated cores would give, steadier than the measured one while other work comes and goes)" +
    failureLines(names, first)
  );
}

function failureLines(names: string[], first: Map<string, string>): string {
  const lines = names.flatMap((n) => (first.has(n) ? [`  ${n}'s first failure: ${(first.get(n) ?? "").slice(0, 400)}`] : []));
  return lines.length ? `\n${lines.join("\n")}` : "";
}

/** A Markdown table (for the summary a closing note quotes). */
export function markdown(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

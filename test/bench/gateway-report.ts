/** `pnpm bench`'s report: per measure, each variant's percentiles above the floor and lean, CPU and failures; then the issue's summary and targets. */
import { LONG_WORDS } from "./gateway-client.js";
import { modeLabel, type LoadTotals, type Mode, type SequentialResult } from "./phases.js";
import { FLOOR, LEAN, latencyTable, loadTable, markdown, pct, signed, streamStartTable, summaries } from "./tables.js";

export interface Results {
  names: string[];
  modes: Mode[];
  latency: Map<Mode, SequentialResult>;
  /** Throughput per measured mode (non-streaming). */
  load: Map<Mode, Map<string, LoadTotals>>;
  requests: (m: Mode) => number;
  seconds: number;
  clients: number;
  /** Portkey's version when it ran. */
  portkey: string | undefined;
  /** The machine's 1-minute load average when measuring began and ended (other work on it skews every figure). */
  loadAverage: [number, number];
  minutes: number;
}

const GATEWAYS = ["portkey", "bare", LEAN, "hearth"];
const LABEL: Record<string, string> = { portkey: "Portkey", bare: "bare", lean: "lean", hearth: "Hearth" };

function p50Of(r: Results, m: Mode, n: string): number {
  return summaries(r.latency.get(m)?.timings ?? new Map()).get(n)?.p50 ?? NaN;
}

/** The issue's summary tables: p50 above the floor (and lean) per measure; throughput, failures and CPU per request. */
function summary(r: Results): string {
  const shown = GATEWAYS.filter((n) => r.names.includes(n));
  const above = (m: Mode, n: string, base: string) => (n === base ? "" : `${signed(p50Of(r, m, n) - p50Of(r, m, base))} ms`);
  const latency = markdown(
    ["p50 above the pass-through floor (above lean)", ...shown.map((n) => LABEL[n] ?? n)],
    r.modes.map((m) => [modeLabel(m), ...shown.map((n) => `${above(m, n, FLOOR)}${n === LEAN ? "" : ` (${above(m, n, LEAN)})`}`)]),
  );
  const loadNames = [FLOOR, ...shown];
  const rate = (m: Mode, n: string) => r.load.get(m)?.get(n)?.perSecond ?? NaN;
  const failed = (n: string) => [...r.latency.values()].reduce((s, x) => s + (x.failed.get(n) ?? 0), 0) + [...r.load.values()].reduce((s, x) => s + (x.get(n)?.failed ?? 0), 0);
  const cpu = (m: Mode, n: string) => {
    const c = r.latency.get(m)?.cpu.get(n);
    return c ? `${c.workerd.toFixed(1)} / ${(c.all - c.workerd).toFixed(1)} ms` : "";
  };
  const rows = [
    ...[...r.load.keys()].map((m) => [`${modeLabel(m)}: requests/s (share of floor)`, ...loadNames.map((n) => `${rate(m, n).toFixed(0)}${n === FLOOR ? "" : ` (${pct(rate(m, n) / rate(m, FLOOR))})`}`)]),
    ["failed requests, all measures", ...loadNames.map((n) => String(failed(n)))],
    ...r.modes.map((m) => [`CPU per request (workerd / node), ${modeLabel(m)}`, ...loadNames.map((n) => cpu(m, n))]),
  ];
  const load = markdown([`${r.clients} concurrent clients`, ...loadNames.map((n) => (n === FLOOR ? "floor" : (LABEL[n] ?? n)))], rows);
  return `${latency}\n\n${load}`;
}

/** Issue 17's targets under wrangler dev: Hearth ≤ Portkey above the floor in every measure, ≥ its throughput share, 0 failed. */
function targets(r: Results): string {
  if (!r.names.includes("portkey")) return "Targets (issue 17) compare Hearth with Portkey in the same run: run with --portkey DIR.";
  const check = (ok: boolean) => (ok ? "met" : "NOT met");
  const lines = r.modes.map((m) => {
    const h = p50Of(r, m, "hearth") - p50Of(r, m, FLOOR);
    const p = p50Of(r, m, "portkey") - p50Of(r, m, FLOOR);
    return `  ${modeLabel(m)}: p50 above the floor, Hearth ${signed(h)} ms ≤ Portkey ${signed(p)} ms: ${check(h <= p)}`;
  });
  for (const [m, load] of r.load) {
    const share = (n: string) => (load.get(n)?.perSecond ?? NaN) / (load.get(FLOOR)?.perSecond ?? NaN);
    lines.push(`  ${modeLabel(m)}: throughput share, Hearth ${pct(share("hearth"))} ≥ Portkey ${pct(share("portkey"))}: ${check(share("hearth") >= share("portkey"))}`);
  }
  const failed = [...r.latency.values()].reduce((s, x) => s + (x.failed.get("hearth") ?? 0), 0) + [...r.load.values()].reduce((s, x) => s + (x.get("hearth")?.failed ?? 0), 0);
  lines.push(`  Hearth's failed requests: ${failed}: ${check(failed === 0)}`);
  return ["Targets (issue 17, under wrangler dev):", ...lines].join("\n");
}

export function report(r: Results): string {
  const out = [
    "",
    `Under wrangler dev; short = the echo of a five-word prompt, long = ${LONG_WORDS} words (${LONG_WORDS} chunks streamed)${r.portkey ? `; Portkey ${r.portkey}` : ""}`,
    `Machine load average (1 min): ${r.loadAverage[0].toFixed(2)} when measuring began, ${r.loadAverage[1].toFixed(2)} at the end (${r.minutes.toFixed(1)} min); the machine is shared with other work`,
  ];
  for (const m of r.modes) {
    const x = r.latency.get(m);
    if (!x) continue;
    out.push("", `Latency, ${modeLabel(m)}: to the end of the ${m.stream ? "stream" : "response"} (ms), ${r.requests(m)} sequential requests per variant, interleaved`, "", latencyTable(r.names, x, "split"));
    if (m.stream) out.push("", `${modeLabel(m)}: to the first byte and the first content (ms)`, "", streamStartTable(r.names, x));
  }
  out.push(
    "",
    "(CPU ms/req: the variant's whole wrangler dev process tree per request, from /proc — workerd: its two workerd processes; node: wrangler's",
    " Node (and an idle esbuild). Steadier than latency when other work shares the machine, though heavy contention inflates it too)",
  );
  for (const [m, load] of r.load) {
    out.push("", `Throughput, ${modeLabel(m)}: ${r.clients} clients, ${r.seconds} s per variant in half-second windows taken in turn (latency in ms under that load)`, "", loadTable(r.names, load, "split"));
  }
  out.push("", "Summary", "", summary(r), "", targets(r), "");
  return out.join("\n");
}

/**
 * `pnpm bench:gateway-miniflare`: the gateway bench's second view — the runtime alone. Each variant
 * runs in its own Miniflare (its own workerd process, whose CPU per request is read from /proc):
 * the same workerd and bundle as `wrangler dev`, without wrangler's Node proxy and inspector in front
 * of them, whose per-chunk work inflates whatever streams. Against the same zero-delay fake OpenAI in
 * a separate process:
 *   floor          the empty pass-through Worker (passthrough-worker.ts): the platform's own cost
 *   bare           the old design's floor (bare-gateway.ts): streams the upstream and reads every chunk in JS
 *   lean           the cheapest design that still enforces the deadlines (lean/worker.ts): a whole
 *                  answer fetched whole; a stream carried by `tee()` (one branch native to the client,
 *                  the other read lazily for the clocks: a BYOB read at most every 100 ms)
 *   lean-tee-eager, lean-ts, lean-reader, lean-identity, lean-pipe
 *                  the same design with other ways to carry a stream (streaming measures only; see
 *                  lean/worker.ts): which is cheapest in workerd (lean-pipe enforces no idle deadline:
 *                  the reference for carrying chunks natively)
 *   hearth         Hearth, model `openai/gpt-4o-mini`
 * Four measures: a short answer (the fake's echo, a few chunks) and a long one (~1,000 tokens: the
 * fake answers "answer in 1000 words" with 1,000 words, one chunk each when streamed), each
 * non-streaming and streaming:
 *   latency     N sequential requests per variant, interleaved in a shuffled order per round
 *   throughput  16 clients, 1.5 s windows taken in turn for 6 rounds
 * Each figure is shown above the floor and above lean (a gateway's own share), with CPU per request.
 *
 * Options: --requests N short (default 400), --long-requests N (default 100), --rounds R (default 6),
 * --clients C (default 16), --only a,b (variants to run; default all).
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startMiniflareWorker, type MiniflareWorker } from "../support/miniflare.js";
import { ROOT, cloudVars, freePort } from "../support/wrangler.js";
import { GatewayClient, LONG_WORDS } from "./gateway-client.js";
import { modeLabel, sequential, throughput, type LoadTotals, type Mode, type SequentialResult } from "./phases.js";
import { CpuMeter } from "./process-cpu.js";
import { summaries, FLOOR, LEAN, latencyTable, loadTable, markdown, pct, signed, streamStartTable } from "./tables.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "400" },
    "long-requests": { type: "string", default: "100" },
    rounds: { type: "string", default: "6" },
    clients: { type: "string", default: "16" },
    only: { type: "string" },
  },
});
const ROUNDS = Number(values.rounds);
const CLIENTS = Number(values.clients);
const WINDOW_MS = 1_500;
const MODES: Mode[] = [
  { length: "short", stream: false },
  { length: "short", stream: true },
  { length: "long", stream: false },
  { length: "long", stream: true },
];
const requestsFor = (m: Mode) => Number(m.length === "short" ? values.requests : values["long-requests"]);

interface VariantSpec {
  name: string;
  main?: string;
  vars?: Record<string, string>;
  /** Differs from lean only in how it carries a stream: measured in streaming modes only. */
  streamOnly?: boolean;
}

const LEAN_MAIN = join(ROOT, "test/bench/lean/worker.ts");
const SPECS: VariantSpec[] = [
  { name: FLOOR, main: join(ROOT, "test/bench/passthrough-worker.ts") },
  { name: "bare", main: join(ROOT, "test/bench/bare-gateway.ts") },
  { name: LEAN, main: LEAN_MAIN },
  ...["tee-eager", "ts", "reader", "identity", "pipe"].map((t) => ({ name: `lean-${t}`, main: LEAN_MAIN, vars: { LEAN_STREAM: t }, streamOnly: true })),
  { name: "hearth" },
];

async function startUpstream(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  // node --import tsx, not the tsx wrapper: killing the wrapper would leave the server running.
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test/fakes/serve.ts"), "--openai-port", String(port)], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout?.once("data", () => resolve()));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

interface Results {
  latency: Map<Mode, SequentialResult>;
  load: Map<Mode, Map<string, LoadTotals>>;
  names: (m: Mode) => string[];
}

/** The summary: p50 above the floor and above lean per measure, throughput shares, CPU per request. */
function summary(r: Results): string {
  const shown = ["bare", LEAN, "lean-tee-eager", "lean-ts", "lean-reader", "lean-identity", "lean-pipe", "hearth"].filter((n) => SPECS.some((s) => s.name === n) && (!values.only || values.only.split(",").includes(n)));
  const p50 = (m: Mode, n: string) => summaries(r.latency.get(m)?.timings ?? new Map()).get(n)?.p50 ?? NaN;
  const cell = (m: Mode, n: string, base: string) => (r.names(m).includes(n) && r.names(m).includes(base) && n !== base ? signed(p50(m, n) - p50(m, base)) : "");
  const rows = MODES.flatMap((m) => [
    [`${modeLabel(m)}, p50 − floor`, ...shown.map((n) => cell(m, n, FLOOR))],
    [`${modeLabel(m)}, p50 − lean`, ...shown.map((n) => cell(m, n, LEAN))],
  ]);
  const rate = (m: Mode, n: string) => r.load.get(m)?.get(n)?.perSecond ?? NaN;
  const loadRows = MODES.map((m) => [`${CLIENTS} clients, ${modeLabel(m)}: share of floor (of lean)`, ...shown.map((n) => (r.names(m).includes(n) ? `${pct(rate(m, n) / rate(m, FLOOR))} (${pct(rate(m, n) / rate(m, LEAN))})` : ""))]);
  const failRows = [["failed requests (all measures)", ...shown.map((n) => String(MODES.reduce((sum, m) => sum + (r.latency.get(m)?.failed.get(n) ?? 0) + (r.load.get(m)?.get(n)?.failed ?? 0), 0)))]];
  const cpu = (m: Mode, n: string) => r.latency.get(m)?.cpu.get(n)?.workerd ?? NaN;
  const cpuRows = MODES.map((m) => [`workerd CPU ms per request, ${modeLabel(m)} (floor ${cpu(m, FLOOR).toFixed(2)})`, ...shown.map((n) => (r.names(m).includes(n) ? `${cpu(m, n).toFixed(2)} (${signed(cpu(m, n) - cpu(m, FLOOR))})` : ""))]);
  return markdown(["runtime alone (Miniflare)", ...shown], [...rows, ...loadRows, ...failRows, ...cpuRows]);
}

/** Issue 17's targets for the runtime alone. */
function targets(r: Results): string {
  const long = MODES[2] as Mode;
  const longStream = MODES[3] as Mode;
  const short = MODES[0] as Mode;
  const p50 = (m: Mode, n: string) => summaries(r.latency.get(m)?.timings ?? new Map()).get(n)?.p50 ?? NaN;
  const cpu = (m: Mode, n: string) => r.latency.get(m)?.cpu.get(n)?.workerd ?? NaN;
  const check = (ok: boolean) => (ok ? "met" : "NOT met");
  const plainAbove = p50(long, "hearth") - p50(long, FLOOR);
  const shortCpu = cpu(short, "hearth") - cpu(short, FLOOR);
  const streamShare = (p50(longStream, "hearth") - p50(longStream, LEAN)) / p50(longStream, LEAN);
  return [
    "Targets (issue 17, runtime alone):",
    `  non-streaming ${LONG_WORDS}-word answer: Hearth ≤ 1 ms above the floor — ${signed(plainAbove)} ms: ${check(plainAbove <= 1)}`,
    `  short answer: Hearth's own CPU ≤ 0.3 ms above the floor — ${signed(shortCpu)} ms: ${check(shortCpu <= 0.3)}`,
    `  streamed ${LONG_WORDS}-word answer: Hearth's share above lean ≤ 10% — ${pct(streamShare)} (${signed(p50(longStream, "hearth") - p50(longStream, LEAN))} ms): ${check(streamShare <= 0.1)}`,
  ].join("\n");
}

async function main(): Promise<void> {
  const upstream = await startUpstream();
  const workers: MiniflareWorker[] = [];
  const clients: GatewayClient[] = [];
  try {
    const vars = cloudVars(upstream);
    const specs = values.only ? SPECS.filter((s) => values.only?.split(",").includes(s.name)) : SPECS;
    const pids = new Map<string, number>();
    for (const spec of specs) {
      const w = await startMiniflareWorker({ vars: { ...vars, ...spec.vars }, ...(spec.main ? { main: spec.main } : {}) });
      workers.push(w);
      if (w.pid) pids.set(spec.name, w.pid);
      const hearth = !spec.main;
      const key = hearth ? (await w.createUser("bench")).apiKey : "unused";
      clients.push(new GatewayClient({ name: spec.name, url: `${w.url}/v1/chat/completions`, headers: { authorization: `Bearer ${key}` }, model: hearth ? "openai/gpt-4o-mini" : "gpt-4o-mini" }, CLIENTS));
    }
    const meter = new CpuMeter(pids);
    const streamOnly = new Set(specs.filter((s) => s.streamOnly).map((s) => s.name));
    const forMode = (m: Mode) => clients.filter((c) => m.stream || !streamOnly.has(c.gateway.name));
    const names = (m: Mode) => forMode(m).map((c) => c.gateway.name);
    process.stderr.write(`variants: ${specs.map((s) => s.name).join(", ")} (workerd pids ${[...pids.values()].join(", ")})\n`);

    const loadAtStart = loadavg()[0] ?? NaN;
    const started = Date.now();
    const latency = new Map<Mode, SequentialResult>();
    for (const [i, m] of MODES.entries()) {
      latency.set(m, await sequential(forMode(m), m, requestsFor(m), { seed: i + 1, warmUp: m.length === "short" ? 30 : 10, meter }));
      process.stderr.write(`latency, ${modeLabel(m)}: done\n`);
    }
    const load = new Map<Mode, Map<string, LoadTotals>>();
    for (const m of MODES) {
      load.set(m, await throughput(forMode(m), { mode: m, clients: CLIENTS, rounds: ROUNDS, windowMs: WINDOW_MS, warmMs: 300, pauseMs: 200, meter }));
      process.stderr.write(`throughput, ${modeLabel(m)}: done\n`);
    }
    const r: Results = { latency, load, names };
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    const out = [
      "",
      `Miniflare direct (no wrangler dev proxy), zero-delay fake OpenAI; short = the echo of a five-word prompt, long = ${LONG_WORDS} words (${LONG_WORDS} chunks streamed)`,
      `Machine load average (1 min): ${loadAtStart.toFixed(2)} when measuring began, ${(loadavg()[0] ?? NaN).toFixed(2)} at the end (${minutes} min); the machine is shared with other work`,
    ];
    for (const m of MODES) {
      out.push("", `Latency, ${modeLabel(m)}: to the end of the ${m.stream ? "stream" : "response"} (ms), ${requestsFor(m)} sequential requests per variant, interleaved`, "", latencyTable(names(m), latency.get(m) as SequentialResult, "workerd"));
      if (m.stream) out.push("", `${modeLabel(m)}: to the first byte and the first content (ms)`, "", streamStartTable(names(m), latency.get(m) as SequentialResult));
    }
    for (const m of MODES) {
      out.push("", `Throughput, ${modeLabel(m)}: ${CLIENTS} clients, ${ROUNDS} rounds of ${WINDOW_MS / 1000} s windows taken in turn (requests/s; latency in ms under that load)`, "", loadTable(names(m), load.get(m) ?? new Map(), "workerd"));
    }
    out.push("", "Summary", "", summary(r), "", targets(r), "");
    process.stdout.write(out.join("\n"));
  } finally {
    for (const c of clients) c.close();
    for (const w of workers) await w.stop().catch(() => undefined);
    upstream.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

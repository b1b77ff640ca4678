/**
 * `pnpm bench:profile-tunnel`: where the tunnel's milliseconds go, as CPU profiles rather than
 * timestamps (the Worker's clocks stand still while JavaScript runs, so only a sampling profiler sees
 * its CPU work). Hearth runs in Miniflare with the DevTools inspector on, the sidecar under Node's
 * inspector; both are profiled over the Chrome DevTools Protocol while streaming requests go through
 * the tunnel one after another, then self time is summed per function.
 *
 * Options: --requests N (default 300); --top N rows per table (default 25);
 * --out DIR to also write the .cpuprofile files (open them in Chrome DevTools → Performance).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { startMiniflareWorker } from "../support/miniflare.js";
import { startSidecar } from "../support/sidecar.js";
import { cloudVars, freePort } from "../support/wrangler.js";
import { summarize, table } from "./stats.js";
import { startUpstreams } from "./tunnel-stacks.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "300" },
    top: { type: "string", default: "25" },
    interval: { type: "string", default: "200" },
    out: { type: "string" },
  },
});
const N = Number(values.requests);
const TOP = Number(values.top);
const MODEL = "bench:latest";
/** Sampling interval (µs). Finer sampling slows workerd down a lot (50 µs triples the request time). */
const SAMPLING_US = Number(values.interval);
/** Hearth's own Durable Object code: a sample with one of these on its stack is the hub's work. */
const HUB_FILES = /^worker\/src\/(tunnel\/(hub|relay|sidecars)|learn\/)/;

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A minimal DevTools Protocol session: numbered commands, replies matched by id. */
class Cdp {
  readonly #ws: WebSocket;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on("message", (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
      const waiter = msg.id !== undefined ? this.#pending.get(msg.id) : undefined;
      if (!waiter || msg.id === undefined) return;
      this.#pending.delete(msg.id);
      if (msg.error) waiter.reject(new Error(msg.error.message));
      else waiter.resolve(msg.result);
    });
  }

  static async connect(url: string): Promise<Cdp> {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 30 });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return new Cdp(ws);
  }

  send<T>(method: string, params: object = {}): Promise<T> {
    const id = this.#next++;
    this.#ws.send(JSON.stringify({ id, method, params }));
    return new Promise<T>((resolve, reject) => this.#pending.set(id, { resolve: (v) => resolve(v as T), reject }));
  }

  close(): void {
    this.#ws.close();
  }
}

interface Target {
  name: string;
  cdp: Cdp;
}

/** The inspector's targets (workerd lists one per Worker script; Node lists the process). */
async function targets(port: number): Promise<{ title: string; webSocketDebuggerUrl: string }[]> {
  const r = await fetch(`http://127.0.0.1:${port}/json`);
  return (await r.json()) as { title: string; webSocketDebuggerUrl: string }[];
}

async function startProfiling(t: Target): Promise<void> {
  await t.cdp.send("Profiler.enable");
  await t.cdp.send("Profiler.setSamplingInterval", { interval: SAMPLING_US });
  await t.cdp.send("Profiler.start");
}

/** The source file of each line of an esbuild bundle, from its `// path/to/module.ts` markers. */
function moduleMap(bundle: string): (line: number) => string | undefined {
  const marks: { line: number; file: string }[] = [];
  bundle.split("\n").forEach((text, line) => {
    const m = /^\/\/ ([\w@.+/-]+\.[mc]?[jt]s)$/.exec(text);
    if (m?.[1]) marks.push({ line, file: m[1].replace(/^(\.\.\/)*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, "") });
  });
  return (line) => {
    let lo = 0;
    let hi = marks.length - 1;
    let found: string | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const mark = marks[mid];
      if (!mark) break;
      if (mark.line <= line) {
        found = mark.file;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

type FileOf = (f: CallFrame) => string | undefined;

const frameName = (f: CallFrame, fileOf: FileOf) => {
  const file = fileOf(f) ?? (f.url ? f.url.replace(/^.*\//, "") : "");
  return `${f.functionName || "(anonymous)"}${file ? ` ${file}` : ""}`;
};

interface Tally {
  self: Map<string, number>;
  total: Map<string, number>;
  files: Map<string, number>;
  busy: number;
}

const tally = (): Tally => ({ self: new Map(), total: new Map(), files: new Map(), busy: 0 });
const add = (m: Map<string, number>, k: string, ms: number) => m.set(k, (m.get(k) ?? 0) + ms);
const IDLE = new Set(["(idle)", "(root)"]);

/**
 * Self and total time (ms) per function and self time per source file, from the samples and their
 * time deltas; split into parts by `part` (a sample's stack → its part's name).
 */
function byFunction(p: CpuProfile, fileOf: FileOf, part: (files: string[]) => string): { parts: Map<string, Tally>; sampled: number } {
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const parts = new Map<string, Tally>();
  let sampled = 0;
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  samples.forEach((id, i) => {
    // A sample's delta is the time since the previous one: attribute the next delta to this sample.
    const ms = (deltas[i + 1] ?? 0) / 1000;
    const node = nodes.get(id);
    if (!node) return;
    sampled += ms;
    if (IDLE.has(node.callFrame.functionName)) return;
    const stack: CallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = nodes.get(at);
      if (n) stack.push(n.callFrame);
    }
    const files = stack.map((f) => fileOf(f) ?? "");
    const t = parts.get(part(files)) ?? tally();
    parts.set(part(files), t);
    t.busy += ms;
    add(t.self, frameName(node.callFrame, fileOf), ms);
    // A native function (no file) is charged to the nearest JavaScript caller's file.
    add(t.files, files.find((f) => f !== "") ?? "(native, no JS caller)", ms);
    const seen = new Set<string>();
    for (const f of stack) {
      const fn = frameName(f, fileOf);
      if (seen.has(fn)) continue;
      seen.add(fn);
      add(t.total, fn, ms);
    }
  });
  return { parts, sampled };
}

function report(name: string, p: CpuProfile, fileOf: FileOf, part: (files: string[]) => string): string {
  const { parts, sampled } = byFunction(p, fileOf, part);
  const perReq = (ms: number) => (ms * 1000) / N;
  const out = [`${name}: ${sampled.toFixed(0)} ms sampled`];
  for (const [partName, t] of [...parts].sort((a, b) => b[1].busy - a[1].busy)) {
    const pct = (ms: number) => (100 * ms) / (t.busy || 1);
    const rows = [...t.self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([fn, self]) => [fn.slice(0, 100), self, perReq(self), pct(self), t.total.get(fn) ?? 0]);
    const files = [...t.files]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([file, self]) => [file, self, perReq(self), pct(self)]);
    out.push(`\n  ${partName}: ${t.busy.toFixed(0)} ms busy = ${perReq(t.busy).toFixed(0)} µs per request\n`);
    out.push(table(["function (self time)", "self ms", "µs/req", "% busy", "total ms"], rows));
    out.push("");
    out.push(table(["file (self time; native charged to its caller)", "self ms", "µs/req", "% busy"], files));
  }
  return out.join("\n") + "\n";
}

/** One streaming chat request through the tunnel; returns its time to first byte of content. */
async function tunnelRequest(url: string, key: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: `local/${MODEL}`, stream: true, messages: [{ role: "user", content: "Say hello in a few words." }] }),
  });
  if (!r.ok || !r.body) throw new Error(`tunnel: ${r.status} ${await r.text()}`);
  let ttft = 0;
  for await (const _ of r.body) if (!ttft) ttft = performance.now() - t0;
  return ttft;
}

async function main(): Promise<void> {
  const up = await startUpstreams();
  const workerdPort = await freePort();
  const hearth = await startMiniflareWorker({
    vars: { ...cloudVars({ url: up.openai }), HEARTH_AUTO_TARGETS: "openai/gpt-4o-mini" },
    rateLimitPerMinute: 1_000_000,
    inspectorPort: workerdPort,
  });
  const sidecarPort = await freePort();
  const cdps: Cdp[] = [];
  let sidecar: Awaited<ReturnType<typeof startSidecar>> | undefined;
  try {
    const home = await hearth.createUser("home");
    // The sidecar inherits this environment: its Node opens an inspector we can profile through.
    const before = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `${before ?? ""} --inspect=127.0.0.1:${sidecarPort}`.trim();
    try {
      sidecar = await startSidecar({ workerUrl: hearth.url, token: home.sidecarToken, apiKey: home.apiKey, ollama: up.ollama, args: ["--slots", "4", "--queue", "16"] });
    } finally {
      if (before === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = before;
    }
    for (let i = 0; i < 50; i++) await tunnelRequest(hearth.url, home.apiKey);

    const list: Target[] = [];
    for (const t of await targets(workerdPort)) list.push({ name: `workerd ${t.title}`, cdp: await Cdp.connect(t.webSocketDebuggerUrl) });
    for (const t of await targets(sidecarPort)) list.push({ name: "sidecar (node)", cdp: await Cdp.connect(t.webSocketDebuggerUrl) });
    cdps.push(...list.map((t) => t.cdp));
    for (const t of list) await startProfiling(t);

    const ttfts: number[] = [];
    for (let i = 0; i < N; i++) ttfts.push(await tunnelRequest(hearth.url, home.apiKey));

    const profiles = await Promise.all(list.map(async (t) => ({ name: t.name, profile: (await t.cdp.send<{ profile: CpuProfile }>("Profiler.stop")).profile })));
    const s = summarize(ttfts);
    process.stdout.write(`\n${N} streaming requests through the tunnel (Miniflare direct), sampled every ${SAMPLING_US} µs. TTFT p50 ${s.p50.toFixed(2)} ms, p90 ${s.p90.toFixed(2)} ms (profiling slows it down)\n\n`);
    const bundleFile = moduleMap(await readFile(hearth.scriptPath, "utf8"));
    const hearthFileOf: FileOf = (f) => (f.url.endsWith("index.js") ? bundleFile(f.lineNumber) : undefined);
    const nodeFileOf: FileOf = (f) => (f.url ? f.url.replace(/^file:\/\//, "").replace(/^.*\/(node_modules\/)/, "$1").replace(/^\/work\/main\//, "") : undefined);
    for (const { name, profile } of profiles) {
      // Skip Miniflare's own helper Workers that did nothing.
      if (!(profile.samples ?? []).some((id) => !IDLE.has(profile.nodes.find((n) => n.id === id)?.callFrame.functionName ?? "(idle)"))) continue;
      const hearthScript = name.includes("core:user");
      const part = hearthScript ? (files: string[]) => (files.some((f) => HUB_FILES.test(f)) ? "Durable Object (SidecarHub)" : "Worker (and runtime glue)") : () => "all";
      process.stdout.write(report(name, profile, hearthScript ? hearthFileOf : nodeFileOf, part) + "\n");
    }
    if (values.out) {
      await mkdir(values.out, { recursive: true });
      for (const { name, profile } of profiles) await writeFile(join(values.out, `${name.replace(/[^\w.-]+/g, "_")}.cpuprofile`), JSON.stringify(profile));
      process.stdout.write(`profiles written to ${values.out}\n`);
    }
  } finally {
    for (const c of cdps) c.close();
    await sidecar?.stop("SIGTERM");
    await hearth.stop();
    up.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`profile failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

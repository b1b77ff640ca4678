/**
 * CPU profiles of a Worker over the Chrome DevTools Protocol, summed into self time per function and
 * per source file (of the esbuild bundle, through its `// path/to/module.ts` markers), and inclusive
 * time of the project's own functions. The same method as profile-tunnel.ts, as a module.
 */
import WebSocket from "ws";
import { table } from "./stats.js";

export interface CallFrame {
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

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A minimal DevTools Protocol session: numbered commands, replies matched by id. */
export class Cdp {
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

  async start(samplingUs: number): Promise<void> {
    await this.send("Profiler.enable");
    await this.send("Profiler.setSamplingInterval", { interval: samplingUs });
    await this.send("Profiler.start");
  }

  async stop(): Promise<CpuProfile> {
    return (await this.send<{ profile: CpuProfile }>("Profiler.stop")).profile;
  }

  close(): void {
    this.#ws.close();
  }
}

/** The inspector's targets (workerd lists one per Worker script). */
export async function inspectorTargets(port: number): Promise<{ title: string; webSocketDebuggerUrl: string }[]> {
  const r = await fetch(`http://127.0.0.1:${port}/json`);
  return (await r.json()) as { title: string; webSocketDebuggerUrl: string }[];
}

export type FileOf = (f: CallFrame) => string | undefined;

/** The source file of each line of an esbuild bundle (frames whose URL ends with `script`), from its `// path/to/module.ts` markers. */
export function bundleFiles(bundle: string, script: string): FileOf {
  const marks: { line: number; file: string }[] = [];
  bundle.split("\n").forEach((text, line) => {
    const m = /^\/\/ ([\w@.+/-]+\.[mc]?[jt]s)$/.exec(text);
    if (m?.[1]) marks.push({ line, file: m[1].replace(/^.*?node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, "") });
  });
  const fileAt = (line: number) => {
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
  return (f) => (f.url.endsWith(script) ? fileAt(f.lineNumber) : undefined);
}

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

/** Did the profile see any work at all (Miniflare's helper Workers mostly did none)? */
export const busy = (p: CpuProfile): boolean => {
  const idle = new Set(p.nodes.filter((n) => IDLE.has(n.callFrame.functionName)).map((n) => n.id));
  return (p.samples ?? []).some((id) => !idle.has(id));
};

/** Self and total time (ms) per function and self time per file, split into parts by `part` (a sample's stack files → its part). */
function byFunction(p: CpuProfile, fileOf: FileOf, part: (files: string[]) => string): { parts: Map<string, Tally>; sampled: number } {
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const parts = new Map<string, Tally>();
  let sampled = 0;
  const deltas = p.timeDeltas ?? [];
  (p.samples ?? []).forEach((id, i) => {
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
    const name = part(files);
    const t = parts.get(name) ?? tally();
    parts.set(name, t);
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

export interface ReportOptions {
  /** Requests the profile covers (for µs per request). */
  requests: number;
  /** Rows per table. */
  top: number;
  /** Files whose functions get an inclusive-time table (the project's own code). */
  own: RegExp;
  part: (files: string[]) => string;
}

export function profileReport(name: string, p: CpuProfile, fileOf: FileOf, opts: ReportOptions): string {
  const { parts, sampled } = byFunction(p, fileOf, opts.part);
  const perReq = (ms: number) => (ms * 1000) / opts.requests;
  const out = [`${name}: ${sampled.toFixed(0)} ms sampled`];
  for (const [partName, t] of [...parts].sort((a, b) => b[1].busy - a[1].busy)) {
    const pct = (ms: number) => (100 * ms) / (t.busy || 1);
    const rows = [...t.self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, opts.top)
      .map(([fn, self]) => [fn.slice(0, 100), self, perReq(self), pct(self), t.total.get(fn) ?? 0]);
    const files = [...t.files]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([file, self]) => [file, self, perReq(self), pct(self)]);
    const own = [...t.total]
      .filter(([fn]) => opts.own.test(fn.slice(fn.lastIndexOf(" ") + 1)))
      .sort((a, b) => b[1] - a[1])
      .slice(0, opts.top)
      .map(([fn, total]) => [fn.slice(0, 100), total, perReq(total), pct(total)]);
    out.push(`\n  ${partName}: ${t.busy.toFixed(0)} ms busy = ${perReq(t.busy).toFixed(0)} µs per request\n`);
    out.push(table(["function (self time)", "self ms", "µs/req", "% busy", "total ms"], rows));
    out.push("");
    out.push(table(["file (self time; native charged to its caller)", "self ms", "µs/req", "% busy"], files));
    out.push("");
    out.push(table(["own function (inclusive, synchronous part)", "total ms", "µs/req", "% busy"], own));
  }
  return out.join("\n") + "\n";
}

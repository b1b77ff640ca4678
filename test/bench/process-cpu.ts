/**
 * CPU time used by a server's whole process tree (wrangler dev is a Node process, two workerd
 * processes and esbuild), read from /proc. A process's CPU time depends much less than its latency on
 * what else the machine runs (heavy contention still inflates it), so CPU per request is the steadier
 * view of what a gateway costs — and on a saturated 2-core machine it is what sets throughput.
 * Linux only.
 */
import { readFileSync, readdirSync } from "node:fs";
import { descendants, isWorkerd } from "../support/process-tree.js";

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** The oldest process whose command line holds `--port <port>` (wrangler's launcher for that dev server). */
export function serverPid(port: number): number | undefined {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      const at = args.indexOf("--port");
      if (at >= 0 && args[at + 1] === String(port)) found.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return found.sort((a, b) => a - b)[0];
}

function ownCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after "(comm)": state is field 3, utime 14, stime 15 (1-based over the whole line).
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU milliseconds used so far by `pid` and each of its live descendants. */
export function treeCpu(pid: number): Map<number, number> {
  return new Map([pid, ...descendants(pid)].map((p) => [p, ownCpuMs(p)]));
}

/** CPU ms a process tree used: all of it, and its workerd processes' part (the rest is wrangler's Node). */
export interface TreeCpu {
  all: number;
  workerd: number;
}

/** CPU used by several named process trees between `mark()` calls. */
export class CpuMeter {
  readonly #pids: Map<string, number>;
  #last = new Map<string, Map<number, number>>();
  readonly #workerd = new Map<number, boolean>();

  constructor(pids: Map<string, number>) {
    this.#pids = pids;
    this.mark();
  }

  /**
   * CPU ms each tree used since the previous mark. Per process, so a process that exits or starts
   * in between (wrangler restarting workerd) does not turn the tree's sum negative: an exited
   * process's last slice is lost, a new one counts from its start.
   */
  mark(): Map<string, number> {
    return new Map([...this.markSplit()].map(([name, t]) => [name, t.all]));
  }

  /** As mark(), with each tree's workerd share apart. */
  markSplit(): Map<string, TreeCpu> {
    const used = new Map<string, TreeCpu>();
    const now = new Map<string, Map<number, number>>();
    for (const [name, pid] of this.#pids) {
      const tree = treeCpu(pid);
      const before = this.#last.get(name);
      now.set(name, tree);
      const use = { all: 0, workerd: 0 };
      for (const [p, ms] of tree) {
        const slice = ms - (before?.get(p) ?? (before ? 0 : ms));
        use.all += slice;
        if (this.#isWorkerd(p)) use.workerd += slice;
      }
      used.set(name, use);
    }
    this.#last = now;
    return used;
  }

  #isWorkerd(pid: number): boolean {
    let known = this.#workerd.get(pid);
    if (known === undefined) this.#workerd.set(pid, (known = isWorkerd(pid)));
    return known;
  }
}

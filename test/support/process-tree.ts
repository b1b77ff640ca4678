/**
 * Signals for a whole process tree: a process started through a wrapper (pnpm, the tsx CLI) has the
 * real Node process as a child, and SIGKILL cannot be relayed — killing the wrapper alone leaves the
 * child running (and a sidecar connected). Linux only (reads /proc).
 */
import { readdirSync, readFileSync } from "node:fs";

/** The parent pid of every live process, from /proc/<pid>/stat. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      out.set(Number(name), ppid);
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Every descendant of `pid`, children before grandchildren. */
export function descendants(pid: number): number[] {
  const ppids = parents();
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const next = [...ppids].filter(([, ppid]) => frontier.includes(ppid)).map(([child]) => child);
    found.push(...next);
    frontier = next;
  }
  return found;
}

/** Sends `signal` to `pid` and all its descendants, deepest first; returns the pids signalled. */
export function killTree(pid: number, signal: NodeJS.Signals = "SIGKILL"): number[] {
  const pids = [pid, ...descendants(pid)].reverse();
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
  return pids;
}

/** Whether a process is a workerd (by its command name); the rest of a wrangler dev tree is Node (and an idle esbuild). */
export function isWorkerd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "workerd";
  } catch {
    return false;
  }
}

/** The workerd processes among `pid`'s descendants (a Miniflare instance's runtime is one of them). */
export function workerdPids(pid = process.pid): number[] {
  return descendants(pid).filter(isWorkerd);
}

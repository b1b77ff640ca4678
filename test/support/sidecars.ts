/**
 * Starting and stopping several sidecar processes for one test file, without leaving any behind.
 * Works around a trait of SidecarProcess.stop(): it waits forever for a child that already died of a
 * signal (its exit event has passed); and kills whatever is left of each process tree.
 */
import { killTree } from "./process-tree.js";
import { startSidecar, type SidecarProcess, type SidecarProcessOptions } from "./sidecar.js";

/** Stops a sidecar: SIGTERM (it drains) if it is still running, then SIGKILL to whatever is left of its tree. */
export async function stopSidecar(s: SidecarProcess, drainMs = 5_000): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null) await s.stop("SIGTERM", drainMs);
  if (s.child.pid) killTree(s.child.pid);
}

/** Starts them all at once; if any fails to come up, stops the others and throws its error. */
export async function startSidecars(list: readonly SidecarProcessOptions[]): Promise<SidecarProcess[]> {
  const results = await Promise.allSettled(list.map((o) => startSidecar(o)));
  const started = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await Promise.all(started.map((s) => stopSidecar(s)));
    throw failed.reason;
  }
  return started;
}

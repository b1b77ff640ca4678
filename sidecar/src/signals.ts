/**
 * What a stop signal (SIGINT or SIGTERM) asks for. One request to stop often arrives as several
 * signals: systemd's default KillMode signals every process of the service at once, pnpm forwards a
 * signal to the script's whole process group, and the tsx wrapper (`pnpm sidecar`) relays the signal
 * to the sidecar again about 30–40 ms later when it missed the sidecar's acknowledgement. Those
 * repeats must not cut the drain short. A signal after the window is a person asking again on
 * purpose (Ctrl-C twice): exit at once.
 */

/** drain: the first signal, start draining. repeat: the same request again, keep draining. exit-now: stop without waiting. */
export type StopDecision = "drain" | "repeat" | "exit-now";

/**
 * Signals this soon after the first one are the same request to stop. The repeats it absorbs come
 * within ~40 ms (a few hundred on a loaded machine, where tsx's 30 ms timer fires late); a person who
 * reads "draining" and decides to press Ctrl-C again takes longer than 2 s, and waits at most that.
 */
export const REPEAT_WINDOW_MS = 2_000;

/**
 * @param firstAt when the first stop signal came, on a monotonic clock (undefined: none yet)
 * @param now the same clock now
 * @param windowMs default REPEAT_WINDOW_MS
 */
export function decideStop(firstAt: number | undefined, now: number, windowMs = REPEAT_WINDOW_MS): StopDecision {
  if (firstAt === undefined) return "drain";
  return now - firstAt < windowMs ? "repeat" : "exit-now";
}

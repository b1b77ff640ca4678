/**
 * Reading one home request's frames as the hub relays them (NDJSON, one tunnel frame per line), for
 * chat answers and embeddings alike. The frames of one network read come out together, so what
 * arrived together is handled — and written to the client — together.
 *
 * Whenever reading stops before home's request is over (no `end`, `embedded` or `error` frame seen) —
 * a deadline, the client gone, a hedge lost, an attempt that failed on this side — home is told to
 * cancel at once, through the hub. The hub then ends this stream from its side; cancelling it from
 * here as well would abort the RPC pipe under the hub (workerd logs that as an uncaught error), so
 * this side cancels it only if the hub has not ended it after a grace.
 */
import type { SidecarFrame } from "@hearth/shared";

/** How long the hub has to end a cancelled request's stream before this side cancels it itself (ms). */
const CANCEL_GRACE_MS = 2_000;

const decoder = new TextDecoder();

export class HomeFrames {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #cancelAtHome: () => void;
  readonly #signal: AbortSignal | undefined;
  #buf = "";
  #over = false;
  #stopped = false;

  /** `signal`: when it aborts, reading stops (and home is cancelled) at once, even with no read pending. */
  constructor(frames: ReadableStream<Uint8Array>, cancelAtHome: () => void, signal?: AbortSignal) {
    this.#reader = frames.getReader();
    this.#cancelAtHome = cancelAtHome;
    this.#signal = signal;
    if (signal?.aborted) this.stop();
    else signal?.addEventListener("abort", this.stop, { once: true });
  }

  /** Home's request ended at home (an `end`, `embedded` or `error` frame was read): nothing to cancel there. */
  get over(): boolean {
    return this.#over;
  }

  /** The frames of the next network read (possibly none), or null when the stream ended. */
  async next(): Promise<SidecarFrame[] | null> {
    const { done, value } = await this.#reader.read();
    if (done) return null;
    this.#buf += decoder.decode(value, { stream: true });
    const frames: SidecarFrame[] = [];
    for (let nl = this.#buf.indexOf("\n"); nl >= 0; nl = this.#buf.indexOf("\n")) {
      const line = this.#buf.slice(0, nl);
      this.#buf = this.#buf.slice(nl + 1);
      if (line === "") continue;
      // The hub validated every frame against the protocol schema before relaying it: parse only.
      const frame = JSON.parse(line) as SidecarFrame;
      if (frame.t === "end" || frame.t === "error" || frame.t === "embedded") this.#over = true;
      frames.push(frame);
    }
    return frames;
  }

  /** Reading is over (idempotent). Unless home's request ended by itself, it is cancelled there. */
  readonly stop = (): void => {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#signal?.removeEventListener("abort", this.stop);
    if (this.#over) return;
    this.#over = true;
    this.#cancelAtHome();
    const timer = setTimeout(() => void this.#reader.cancel().catch(() => undefined), CANCEL_GRACE_MS);
    this.#reader.closed.then(
      () => clearTimeout(timer),
      () => clearTimeout(timer),
    );
  };

  /** Reads what is left and drops it (the hub ends the stream after the last frame), off the answer's path. */
  async drain(): Promise<void> {
    try {
      while (!(await this.#reader.read()).done);
    } catch {
      // ended either way
    }
  }
}

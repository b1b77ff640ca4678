/**
 * Reading one attempt's answer, chunk by chunk, under the idle deadline. Every way out — a stall, the
 * total deadline, the client leaving, a lost hedge, the reader done — aborts the attempt's controller:
 * the opener's contract is that the source then stops at once, and a read that is pending settles with
 * the abort's reason even if the source does not. Nothing waits on a stream no one will write.
 */
import { ALIVE, nativeOf, type Chunk, type StreamItem } from "../stream/chunks.js";
import { DeadlineExceeded, ReadingDone, type Stopper } from "./deadlines.js";

/** One instance for every reader that gives up: an abort reason, not an error anyone throws (no stack to capture each time). */
const READING_DONE = new ReadingDone();

export class AnswerReader {
  readonly #it: AsyncIterator<StreamItem>;
  readonly #controller: Stopper;
  #idleMs = 0;
  /** When the pending read began (0: none pending). Idle is silence *while we wait*, not a slow client. */
  #waitingSince = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #rejectPending: ((reason: unknown) => void) | undefined;
  #onAlive: (() => void) | undefined;

  constructor(stream: AsyncIterable<StreamItem>, controller: Stopper) {
    this.#it = stream[Symbol.asyncIterator]();
    this.#controller = controller;
    const signal = controller.signal;
    const onAbort = () => {
      clearTimeout(this.#timer);
      this.#rejectPending?.(signal.reason);
      // Ends the source's generator once its pending step settles (which the abort brings about).
      void this.#it.return?.().catch(() => undefined);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Called on each sign of life that is not a chunk (before the answer began: ends the first-token wait). */
  onAlive(fn: (() => void) | undefined): void {
    this.#onAlive = fn;
  }

  /**
   * The next chunks (those that arrived together); rejects with the abort's reason (DeadlineExceeded,
   * ClientClosed…) or the source's error.
   */
  async next(): Promise<IteratorResult<Chunk[]>> {
    for (;;) {
      const r = await this.#read();
      if (r.done) return r;
      if (r.value !== ALIVE && r.value.length > 0) return r as IteratorResult<Chunk[]>;
      // No chunk: the target working with nothing to show (ALIVE, or its own events alone, e.g. thinking).
      this.#onAlive?.();
      if (r.value !== ALIVE && nativeOf(r.value) !== undefined) return r as IteratorResult<Chunk[]>;
    }
  }

  /** From now on a read that waits longer than `ms` aborts the attempt with DeadlineExceeded("idle"). */
  watchIdle(ms: number): void {
    this.#idleMs = ms;
    if (this.#waitingSince) this.#waitingSince = Date.now();
  }

  /** Stops the source (idempotent): the reader gives up on the rest. */
  close(reason: unknown = READING_DONE): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  /** The source ended by itself and was read to its end: nothing to stop, only the clock. */
  finish(): void {
    this.#idleMs = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #read(): Promise<IteratorResult<StreamItem>> {
    const signal = this.#controller.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    this.#waitingSince = Date.now();
    // One timer at a time, re-armed lazily: a fast stream costs no timer churn per chunk.
    if (this.#idleMs > 0 && this.#timer === undefined) this.#timer = setTimeout(this.#check, this.#idleMs);
    return new Promise((resolve, reject) => {
      this.#rejectPending = reject;
      this.#it.next().then(
        (r) => {
          this.#settled();
          resolve(r);
        },
        (err: unknown) => {
          this.#settled();
          reject(signal.aborted ? signal.reason : err);
        },
      );
    });
  }

  #settled(): void {
    this.#rejectPending = undefined;
    this.#waitingSince = 0;
  }

  readonly #check = () => {
    this.#timer = undefined;
    if (!this.#waitingSince || this.#idleMs <= 0) return;
    const left = this.#waitingSince + this.#idleMs - Date.now();
    if (left <= 0) this.close(new DeadlineExceeded("idle", this.#idleMs));
    else this.#timer = setTimeout(this.#check, left);
  };
}

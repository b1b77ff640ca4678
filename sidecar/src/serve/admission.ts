/**
 * Admission control: a fixed number of generations at once and a short queue. Beyond that a request
 * is refused at once ("overloaded"), so the Worker goes to the cloud instead of waiting behind it.
 */
import { BackendError } from "../backends/types.js";

export interface AdmissionOptions {
  /** Generations at once. */
  slots: number;
  /** Requests that may wait for a slot. */
  queue: number;
  /** Told of every change to the slots in use and the queue, by the key `acquire` was given (metrics). Default: none. */
  observer?: AdmissionObserver;
}

export interface AdmissionObserver {
  /** A request with this key took (+1) or gave back (−1) a slot. */
  active(key: string, delta: 1 | -1): void;
  /** A request with this key began (+1) or stopped (−1) waiting for a slot. */
  waiting(key: string, delta: 1 | -1): void;
}

export class Admission {
  readonly #opts: AdmissionOptions;
  #active = 0;
  readonly #waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(opts: AdmissionOptions) {
    this.#opts = opts;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Resolves with a release function once a slot is ours; rejects at once when full, or on abort.
   * `key` (the model) only labels the observer's counts.
   */
  async acquire(signal: AbortSignal, key = ""): Promise<() => void> {
    if (signal.aborted) throw new BackendError("cancelled", "cancelled before it started");
    const observer = this.#opts.observer;
    if (this.#active < this.#opts.slots) {
      this.#active++;
      observer?.active(key, 1);
      return this.#releaser(key);
    }
    if (this.#waiting.length >= this.#opts.queue) {
      throw new BackendError("overloaded", `all ${this.#opts.slots} slots busy and the queue of ${this.#opts.queue} is full`);
    }
    observer?.waiting(key, 1);
    try {
      await this.#wait(signal);
    } finally {
      observer?.waiting(key, -1);
    }
    observer?.active(key, 1);
    return this.#releaser(key);
  }

  #wait(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry = {
        resolve: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        const i = this.#waiting.indexOf(entry);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(new BackendError("cancelled", "cancelled while queued"));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(entry);
    });
  }

  /** Refuse everything waiting (shutdown). */
  rejectWaiting(error: Error): void {
    for (const w of this.#waiting.splice(0)) w.reject(error);
  }

  #releaser(key: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#opts.observer?.active(key, -1);
      const next = this.#waiting.shift();
      // Hand the slot straight to the next in line; otherwise free it.
      if (next) next.resolve();
      else this.#active--;
    };
  }
}

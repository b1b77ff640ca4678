/**
 * Coalesces generated text into fewer tunnel frames: the first piece goes out at once (time to first
 * token is what users feel), later pieces are gathered for a few milliseconds or a few hundred
 * characters, so a fast model does not cost one WebSocket frame per token. The wait grows with the
 * answer (an eighth of its age, from minDelayMs to maxDelayMs): every frame costs the user's Durable
 * Object and Worker a wake-up, and a long answer's thousand tokens as a thousand frames is tens of ms of
 * Worker CPU — past the Workers free plan's 10 ms — where a few hundred bursts cost a fraction.
 */
export interface CoalesceOptions {
  /** Longest a piece waits at the start of an answer (ms). Default: 15. */
  minDelayMs: number;
  /** Longest a piece waits once the answer is older than 8× this (ms). Default: 100. */
  maxDelayMs: number;
  /** Send as soon as this many characters are waiting. Default: 512. */
  maxChars: number;
}

export const DEFAULT_COALESCE: CoalesceOptions = { minDelayMs: 15, maxDelayMs: 100, maxChars: 512 };

export class Coalescer {
  readonly #emit: (text: string) => void;
  readonly #opts: CoalesceOptions;
  readonly #now: () => number;
  #buf = "";
  #timer: ReturnType<typeof setTimeout> | undefined;
  #startedAt: number | undefined;

  /** `now`: the clock (tests). Default: Date.now. */
  constructor(emit: (text: string) => void, opts: CoalesceOptions = DEFAULT_COALESCE, now: () => number = Date.now) {
    this.#emit = emit;
    this.#opts = opts;
    this.#now = now;
  }

  /** How long a piece pushed now may wait (ms). */
  delay(): number {
    const age = this.#startedAt === undefined ? 0 : this.#now() - this.#startedAt;
    return Math.min(this.#opts.maxDelayMs, Math.max(this.#opts.minDelayMs, age / 8));
  }

  push(text: string): void {
    if (text === "") return;
    if (this.#startedAt === undefined) {
      this.#startedAt = this.#now();
      this.#emit(text);
      return;
    }
    this.#buf += text;
    if (this.#buf.length >= this.#opts.maxChars) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.delay());
  }

  /** Sends whatever is waiting now (before a tool call, the end, or an error). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buf === "") return;
    const text = this.#buf;
    this.#buf = "";
    this.#emit(text);
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

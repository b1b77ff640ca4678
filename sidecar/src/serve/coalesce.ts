/**
 * Coalesces generated text into fewer tunnel frames: the first piece goes out at once (time to first
 * token is what users feel), later pieces are gathered for a few milliseconds or a few hundred
 * characters, so a fast model does not cost one WebSocket frame per token.
 */
export interface CoalesceOptions {
  /** Longest a piece waits before it is sent (ms). Default: 15. */
  maxDelayMs: number;
  /** Send as soon as this many characters are waiting. Default: 512. */
  maxChars: number;
}

export const DEFAULT_COALESCE: CoalesceOptions = { maxDelayMs: 15, maxChars: 512 };

export class Coalescer {
  readonly #emit: (text: string) => void;
  readonly #opts: CoalesceOptions;
  #buf = "";
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sentFirst = false;

  constructor(emit: (text: string) => void, opts: CoalesceOptions = DEFAULT_COALESCE) {
    this.#emit = emit;
    this.#opts = opts;
  }

  push(text: string): void {
    if (text === "") return;
    if (!this.#sentFirst) {
      this.#sentFirst = true;
      this.#emit(text);
      return;
    }
    this.#buf += text;
    if (this.#buf.length >= this.#opts.maxChars) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#opts.maxDelayMs);
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

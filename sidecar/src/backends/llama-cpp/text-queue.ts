/**
 * Bridges node-llama-cpp's `onTextChunk` callback to a pull-based async iterator. Text that arrives
 * while the reader is busy is joined into one read, so a slow consumer costs one event per read,
 * not one per token. `tick()` marks progress without text (a read then returns "").
 */
export class TextQueue {
  private buffered: string[] = [];
  private ticked = false;
  private done = false;
  private error: unknown = undefined;
  private wake: (() => void) | undefined;

  push(text: string): void {
    if (this.done || text === "") return;
    this.buffered.push(text);
    this.notify();
  }

  /** The model made progress without text (tokens of a tool call): the next read returns "" if no text is waiting. */
  tick(): void {
    if (this.done) return;
    this.ticked = true;
    this.notify();
  }

  /** No more text will come. */
  close(): void {
    this.done = true;
    this.notify();
  }

  /** The producer failed: the next read throws `error` once buffered text is drained. */
  fail(error: unknown): void {
    this.error = error;
    this.close();
  }

  /** All text buffered since the last read, "" for progress without text, or null at the end. */
  async next(): Promise<string | null> {
    while (this.buffered.length === 0) {
      if (this.ticked) {
        this.ticked = false;
        return "";
      }
      if (this.done) {
        if (this.error !== undefined) throw this.error;
        return null;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    this.ticked = false;
    const text = this.buffered.length === 1 ? (this.buffered[0] ?? "") : this.buffered.join("");
    this.buffered = [];
    return text;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

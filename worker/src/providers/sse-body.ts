/**
 * Reading upstream answers over fetch, shared by the providers: an SSE body a network read at a time,
 * the passthrough providers' event batches, and the body of an error answer.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { withNative, type Chunk } from "../stream/chunks.js";

/**
 * An upstream's SSE body, read as it arrives: every network read is fed to eventsource-parser (the
 * framing: events split across reads, multi-line data), whose events go to `onEvent`; after each read
 * `take()` says what those events made, and that is yielded — one batch per network read, so chunks
 * that arrived together leave together. `take()` answers undefined when a read completed no event.
 * Whether the stream ended as it should is the caller's to check once this returns.
 */
export async function* sseBatches<T>(body: ReadableStream<Uint8Array>, onEvent: (event: EventSourceMessage) => void, take: () => T | undefined): AsyncGenerator<T> {
  const parser = createParser({ onEvent });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      const batch = take();
      if (batch !== undefined) yield batch;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * For the passthrough providers (Anthropic's Messages, OpenAI's Responses): the events of a read kept
 * as SSE text beside the chat chunks they translate to. A read's events go out as one batch even when
 * they make no chunk (an event with no chat counterpart, as a thinking delta), so nothing is dropped.
 */
export class NativeBatch {
  #chunks: Chunk[] = [];
  #sse = "";

  add(event: string, data: string, chunks: readonly Chunk[]): void {
    this.#sse += `event: ${event}\ndata: ${data}\n\n`;
    this.#chunks.push(...chunks);
  }

  /** What the events since the last take make, or undefined when there were none. */
  readonly take = (): Chunk[] | undefined => {
    if (this.#sse === "") return undefined;
    const batch = withNative(this.#chunks, this.#sse);
    this.#chunks = [];
    this.#sse = "";
    return batch;
  };
}

/** A non-2xx answer's body: its text (for a message when it is not JSON) and its JSON, if it is. */
export async function errorBodyOf<T>(res: Response): Promise<{ text: string; json: T | undefined }> {
  const text = await res.text().catch(() => "");
  try {
    return { text, json: JSON.parse(text) as T };
  } catch {
    return { text, json: undefined };
  }
}

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
export function sseBatches<T>(body: ReadableStream<Uint8Array>, onEvent: (event: EventSourceMessage) => void, take: () => T | undefined): AsyncGenerator<T> {
  return new SseBody(body, onEvent, take).batches();
}

/**
 * The same reading, with a way out: once the answer has begun, a client of the upstream's own API can
 * be handed the bytes read so far and the rest of the body unread (`takeRest`), for the runtime to
 * carry without JavaScript per chunk (pipeline/raw-stream.ts).
 */
export class SseBody<T> {
  readonly #body: ReadableStream<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #parser;
  readonly #take: () => T | undefined;
  readonly #decoder = new TextDecoder();
  /** Every read so far, as it came, when it may be taken over; dropped once taken. */
  #raw: Uint8Array[] | undefined;
  #taken = false;

  /** `keepRaw`: the reads are kept as they came, for `takeRest` (only when the caller will take over). */
  constructor(body: ReadableStream<Uint8Array>, onEvent: (event: EventSourceMessage) => void, take: () => T | undefined, keepRaw = false) {
    this.#body = body;
    this.#raw = keepRaw ? [] : undefined;
    this.#reader = body.getReader();
    this.#parser = createParser({ onEvent });
    this.#take = take;
  }

  async *batches(): AsyncGenerator<T> {
    try {
      while (!this.#taken) {
        const { done, value } = await this.#reader.read();
        if (done) break;
        this.#raw?.push(value);
        this.#parser.feed(this.#decoder.decode(value, { stream: true }));
        const batch = this.#take();
        if (batch !== undefined) yield batch;
      }
    } finally {
      if (!this.#taken) this.#reader.releaseLock();
    }
  }

  /** Stops parsing: what was read so far as it came, and the rest of the body, unread. Only between reads. */
  takeRest(): { head: Uint8Array[]; rest: ReadableStream<Uint8Array> } {
    this.#taken = true;
    this.#reader.releaseLock();
    const head = this.#raw ?? [];
    this.#raw = undefined;
    return { head, rest: this.#body };
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

/**
 * The stream vocabulary every layer shares: an answer travels as batches of OpenAI chat chunks (the
 * common shape every provider and home translate to), with the exact text they arrived as kept beside
 * them so they can be passed on unchanged.
 */
import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions";

export type { ChatCompletion };
export type Chunk = ChatCompletionChunk;

/**
 * What a source may yield between chunks when the target is working but has nothing to show yet (home
 * generating a tool call it sends whole): it only proves the target is not stalled.
 */
export const ALIVE = Symbol("alive");
/**
 * What a source yields: the chunks that arrived together (one network read), so they are handled —
 * and written to the client — together; or ALIVE.
 */
export type StreamItem = Chunk[] | typeof ALIVE;

const rawJson = new WeakMap<Chunk, string>();

/**
 * Remembers the exact JSON text a chunk arrived as, so it can be passed on as is: re-encoding every
 * chunk of every stream is work on the hot path that changes nothing. Returns the chunk.
 */
export function withRaw(chunk: Chunk, json: string): Chunk {
  rawJson.set(chunk, json);
  return chunk;
}

const nativeText = new WeakMap<Chunk[], string>();

/**
 * Remembers, with a batch, the exact SSE text of the target's own events it was translated from (an
 * Anthropic target's events): a client that speaks the target's own API gets them as they came —
 * thinking signatures, cache usage, beta fields and all — rather than round-tripped through OpenAI's
 * shape. A batch may carry events and no chunk (a thinking delta). Returns the batch.
 */
export function withNative(batch: Chunk[], sse: string): Chunk[] {
  if (sse) nativeText.set(batch, sse);
  return batch;
}

const wholeBody = new WeakMap<Chunk[], string>();

/**
 * Remembers, with the one batch of an answer fetched whole, the target's own JSON body: a client that
 * speaks the target's API gets it as it came (no decoding, no re-encoding). Returns the batch.
 */
export function withBody(batch: Chunk[], json: string): Chunk[] {
  wholeBody.set(batch, json);
  return batch;
}

/** The target's own JSON body a whole answer's batch came from, if it kept it. */
export function bodyOf(batch: Chunk[]): string | undefined {
  return wholeBody.get(batch);
}

/** The target's own events a batch came from, if it kept them. */
export function nativeOf(batch: Chunk[]): string | undefined {
  return nativeText.get(batch);
}

/** The chunk was changed after it arrived: its text as it arrived no longer stands for it. */
export function forgetRaw(chunk: Chunk): void {
  rawJson.delete(chunk);
}

/** The chunk's JSON text: as it arrived, unless `changed`, else encoded afresh. */
export function jsonOf(chunk: Chunk, changed = false): string {
  return (!changed && rawJson.get(chunk)) || JSON.stringify(chunk);
}

/** A chunk that shows the answer has begun: text, a tool call, a refusal or a finish. The role-only opener is not. */
export function isSubstantive(chunk: Chunk): boolean {
  if (chunk.choices.length === 0) return chunk.usage != null;
  return chunk.choices.some((ch) => !!ch.delta.content || !!ch.delta.tool_calls?.length || !!ch.delta.refusal || ch.finish_reason != null);
}

/** What a stream that may be taken over gives: the bytes read so far as they came, and the rest unread. */
export interface Passthrough {
  head: Uint8Array[];
  rest: ReadableStream<Uint8Array>;
}

const passthroughs = new WeakMap<object, () => Passthrough>();

/**
 * Marks a source whose bytes are the client's own API (an upstream that speaks it): once its answer
 * has begun, `take` stops its parsing and hands over the bytes, for the runtime to carry. Returns it.
 */
export function withPassthrough<S extends object>(source: S, take: () => Passthrough): S {
  passthroughs.set(source, take);
  return source;
}

export function passthroughOf(source: object): (() => Passthrough) | undefined {
  return passthroughs.get(source);
}

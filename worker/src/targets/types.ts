/**
 * A target as the executor sees it: something that can be opened for this request and then answers as
 * a stream of OpenAI chunks. The cloud providers and home are both openers; the executor knows nothing
 * else of either.
 */
import type { AttemptFailure, PlannedTarget } from "@hearth/shared";
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

/** The target's own events a batch came from, if it kept them. */
export function nativeOf(batch: Chunk[]): string | undefined {
  return nativeText.get(batch);
}

/** The chunk's JSON text: as it arrived, unless `changed`, else encoded afresh. */
export function jsonOf(chunk: Chunk, changed = false): string {
  return (!changed && rawJson.get(chunk)) || JSON.stringify(chunk);
}

export interface OpenOptions {
  /**
   * The attempt's signal. When it aborts (a deadline, a stall, the client gone, a hedge lost) the
   * source must stop at once — the upstream request aborted, the generation at home cancelled — and a
   * pending read must settle.
   */
  signal: AbortSignal;
  /** Continue an answer that begins with this text (another attempt's, cut short) instead of starting one. */
  prefix?: string;
}

export interface Opener {
  readonly target: PlannedTarget;
  /** Starts the target; resolves once it accepted the request. Iterating yields the answer. */
  open(opts: OpenOptions): Promise<AsyncIterable<StreamItem>>;
  /** Reduces anything this target threw to what the retry decision needs. */
  classify(err: unknown): AttemptFailure;
}

export type OpenerFor = (target: PlannedTarget) => Opener;

/** A chunk that shows the answer has begun: text, a tool call, a refusal or a finish. The role-only opener is not. */
export function isSubstantive(chunk: Chunk): boolean {
  if (chunk.choices.length === 0) return chunk.usage != null;
  return chunk.choices.some((ch) => !!ch.delta.content || !!ch.delta.tool_calls?.length || !!ch.delta.refusal || ch.finish_reason != null);
}

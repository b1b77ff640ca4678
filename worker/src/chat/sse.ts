/**
 * Turning an upstream chunk iterator into the client's SSE body. By the time this runs the stream is
 * committed (the first content arrived), so failures here cannot fall back: they end the stream with an
 * error event and no `[DONE]`, which the OpenAI SDKs surface as an error — never a truncated success.
 */
import { errorBody, type ErrorCode } from "@hearth/shared";
import type { ChatCompletionChunk } from "../providers/types.js";
import type { Logger } from "../log.js";

const encoder = new TextEncoder();
const frame = (data: string) => encoder.encode(`data: ${data}\n\n`);

/** A chunk that shows the answer has begun: text, a tool call, a refusal or a finish. The role-only opener is not. */
export function isSubstantive(chunk: ChatCompletionChunk): boolean {
  if (chunk.choices.length === 0) return chunk.usage != null;
  return chunk.choices.some(
    (ch) => !!ch.delta.content || !!ch.delta.tool_calls?.length || !!ch.delta.refusal || ch.finish_reason != null,
  );
}

/** The upstream stream ended before the answer began: a broken connection, as far as retrying goes. */
export class StreamEndedEarly extends Error {
  constructor() {
    super("upstream stream ended before any content");
    this.name = "StreamEndedEarly";
  }
}

/** The stream is open and holding its first chunks; nothing has been sent to the client yet. */
export interface OpenStream {
  iterator: AsyncIterator<ChatCompletionChunk>;
  buffered: ChatCompletionChunk[];
}

/** Reads until the answer has begun. Throws if the upstream ends first (an empty answer is a failure). */
export async function openStream(stream: AsyncIterable<ChatCompletionChunk>): Promise<OpenStream> {
  const iterator = stream[Symbol.asyncIterator]();
  const buffered: ChatCompletionChunk[] = [];
  for (;;) {
    const r = await iterator.next();
    if (r.done) throw new StreamEndedEarly();
    buffered.push(r.value);
    if (isSubstantive(r.value)) return { iterator, buffered };
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface SseOptions {
  /** Pass the usage-only chunk on (the client set stream_options.include_usage). */
  includeUsage: boolean;
  /** Names the target in the error event. */
  targetId: string;
  log: Logger;
  /** Called once when the stream ends: finished, broken (with the error code), or cancelled by the client. */
  onEnd?: (end: StreamEnd) => void;
}

export interface StreamEnd {
  /** Undefined when the answer finished. */
  error: ErrorCode | "client_closed" | undefined;
  usage: { prompt_tokens: number; completion_tokens: number } | undefined;
}

export function sseBody(open: OpenStream, opts: SseOptions): ReadableStream<Uint8Array> {
  const { iterator, buffered } = open;
  let finished = false;
  let sent = 0;
  let usage: StreamEnd["usage"];
  let ended = false;
  const end = (error: StreamEnd["error"]) => {
    if (ended) return;
    ended = true;
    opts.onEnd?.({ error, usage });
  };
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, code: ErrorCode, message: string) => {
    end(code);
    opts.log.warn("stream broke after commit", { code, target: opts.targetId, chunks: sent });
    controller.enqueue(frame(JSON.stringify(errorBody(code, message))));
    controller.close();
  };
  /** Sends a chunk on; false when it was only for Hearth (the usage chunk nobody asked for). */
  const emit = (controller: { enqueue(bytes: Uint8Array): void }, chunk: ChatCompletionChunk): boolean => {
    if (chunk.choices.some((ch) => ch.finish_reason != null)) finished = true;
    if (chunk.usage) usage = { prompt_tokens: chunk.usage.prompt_tokens, completion_tokens: chunk.usage.completion_tokens };
    if (!opts.includeUsage) {
      // Hearth always asks upstream for usage; a client that did not ask gets OpenAI's usual chunks.
      if (chunk.choices.length === 0) return false;
      delete (chunk as { usage?: unknown }).usage;
    }
    controller.enqueue(frame(JSON.stringify(chunk)));
    sent++;
    return true;
  };
  return new ReadableStream<Uint8Array>({
    // Every pull must enqueue or close: after a pull that enqueues nothing the stream never pulls
    // again (the streams spec), and the response would stall until workerd cancels it as hung.
    async pull(controller) {
      if (buffered.length > 0) {
        // What was held until the answer began (the role opener, the first content) goes out as one
        // write: enqueued one by one, they reach the client one network write apart.
        const parts: Uint8Array[] = [];
        for (const chunk of buffered.splice(0)) emit({ enqueue: (bytes) => parts.push(bytes) }, chunk);
        if (parts.length > 0) return controller.enqueue(concat(parts));
      }
      for (;;) {
        let r: IteratorResult<ChatCompletionChunk>;
        try {
          r = await iterator.next();
        } catch (err) {
          const detail = err instanceof Error ? err.message : "unknown error";
          return fail(controller, "stream_interrupted", `The stream from ${opts.targetId} broke after it started (${detail}).`);
        }
        if (!r.done) {
          if (emit(controller, r.value)) return;
          continue;
        }
        if (!finished) {
          return fail(controller, "stream_interrupted", `The stream from ${opts.targetId} ended before the answer finished.`);
        }
        controller.enqueue(frame("[DONE]"));
        controller.close();
        end(undefined);
        return;
      }
    },
    async cancel() {
      end("client_closed");
      // The client went away: stop the upstream generation too.
      await iterator.return?.();
    },
  });
}

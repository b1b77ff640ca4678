/**
 * The streamed answer for an Anthropic client: Anthropic's own events as they came when Anthropic
 * served it, or the chat chunks of home or OpenAI translated into the same event sequence. Committed
 * at the first content, like every stream; a break or stall afterwards ends it with an `error` event
 * and no `message_stop`, which Anthropic's SDK raises. (No continuation here: a splice across two
 * targets' content blocks is not something an Anthropic client can follow.)
 */
import type { Commit } from "../execute/attempt.js";
import type { PlanRun } from "../execute/run.js";
import type { Logger } from "../log.js";
import type { StreamEnd } from "../chat/sse.js";
import { answerEvents } from "../http/answer-events.js";
import { nativeOf, type Chunk } from "../stream/chunks.js";
import { anthropicErrorEvent } from "./errors.js";
import { AnthropicEncoder } from "./from-chat.js";

export interface MessagesSseOptions {
  run: PlanRun;
  commit: Commit;
  /** The model name the client asked for (shown when a translated answer names none). */
  model: string;
  log: Logger;
  onEnd(end: StreamEnd): void;
}

export function messagesSse(o: MessagesSseOptions): ReadableStream<Uint8Array> {
  const translate = new AnthropicEncoder(o.model);
  let native = false;
  return answerEvents({
    ...o,
    encode(batch: Chunk[]) {
      const sse = nativeOf(batch);
      if (sse !== undefined) {
        native = true;
        return sse;
      }
      return batch.map((c) => translate.encode(c)).join("");
    },
    errorEvent: anthropicErrorEvent,
    // Anthropic's own events already ended with message_stop; a translated answer ends here.
    finish: () => (native ? "" : translate.end()),
  });
}

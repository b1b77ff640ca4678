/**
 * The streamed answer for an Anthropic client: Anthropic's own events as they came when Anthropic
 * served it, or the chat chunks of home or OpenAI translated into the same event sequence. A break or
 * stall after the answer began ends it with an `error` event and no `message_stop`, which Anthropic's
 * SDK raises. (No continuation here: a splice across two targets' content blocks is not something an
 * Anthropic client can follow.)
 */
import type { StreamEncoder } from "../../pipeline/dialect.js";
import { nativeOf } from "../../stream/chunks.js";
import { anthropicErrorEvent } from "./errors.js";
import { AnthropicEncoder } from "./from-chat.js";

/** `model`: the model name the client asked for (shown when a translated answer names none). */
export function messagesEncoder(model: string): StreamEncoder {
  const translate = new AnthropicEncoder(model);
  let native = false;
  return {
    encode(batch) {
      const sse = nativeOf(batch);
      if (sse !== undefined) {
        native = true;
        return sse;
      }
      return batch.map((c) => translate.encode(c)).join("");
    },
    errorEvent: (code, message) => anthropicErrorEvent(code, message),
    // Anthropic's own events already ended with message_stop; a translated answer ends here.
    finish: () => (native ? "" : translate.end()),
  };
}

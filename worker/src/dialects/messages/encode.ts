/**
 * The streamed answer for an Anthropic client: Anthropic's own events as they came when Anthropic
 * served it, or the chat chunks of home or OpenAI translated into the same event sequence. A break or
 * stall after the answer began ends it with an `error` event and no `message_stop`, which Anthropic's
 * SDK raises. (No continuation here: a splice across two targets' content blocks is not something an
 * Anthropic client can follow.)
 */
import type { RawWatch, StreamEncoder } from "../../pipeline/dialect.js";
import { lineFeed } from "../../pipeline/raw-stream.js";
import { nativeOf } from "../../stream/chunks.js";
import { anthropicErrorEvent } from "./errors.js";
import { AnthropicEncoder } from "./from-chat.js";

interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/**
 * An Anthropic stream carried as it came: finished at `message_stop`; its usage from message_start and
 * message_delta, in OpenAI's terms (the prompt includes the cached tokens Anthropic counts apart).
 */
export function messagesWatch(): RawWatch {
  let finished = false;
  let input: AnthropicUsage = {};
  let output = 0;
  const feed = lineFeed((line) => {
    if (line.startsWith("event: message_stop")) finished = true;
    else if (line.startsWith('data: {"type":"message_start"') || line.startsWith('data: {"type":"message_delta"')) {
      const e = JSON.parse(line.slice(6)) as { message?: { usage?: AnthropicUsage }; usage?: AnthropicUsage };
      const u = e.message?.usage ?? e.usage ?? {};
      input = { ...input, ...Object.fromEntries(Object.entries(u).filter(([k, v]) => k !== "output_tokens" && v != null)) };
      output = u.output_tokens ?? output;
    }
  });
  const prompt = () => (input.input_tokens ?? 0) + (input.cache_creation_input_tokens ?? 0) + (input.cache_read_input_tokens ?? 0);
  return { feed, end: () => ({ finished, usage: input.input_tokens != null ? { prompt_tokens: prompt(), completion_tokens: output } : undefined }) };
}

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
    raw: messagesWatch,
  };
}

/**
 * An Anthropic message fetched whole, as the chunks its stream would have carried: the message is
 * replayed as the events of its stream (message_start, each block's start and delta, message_delta,
 * message_stop) through the stream's own translation, so both paths say the same thing. Pure.
 */
import type { Message, RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { createChunkTranslator } from "./stream.js";

/** The events a stream of this message would have sent (thinking and other blocks with no chat counterpart left out). */
export function messageEvents(m: Message): RawMessageStreamEvent[] {
  const events: RawMessageStreamEvent[] = [{ type: "message_start", message: { ...m, content: [], stop_reason: null, stop_sequence: null } }];
  m.content.forEach((block, index) => {
    if (block.type === "text") {
      events.push({ type: "content_block_start", index, content_block: { ...block, text: "" } });
      events.push({ type: "content_block_delta", index, delta: { type: "text_delta", text: block.text } });
    } else if (block.type === "tool_use") {
      events.push({ type: "content_block_start", index, content_block: { ...block, input: {} } });
      events.push({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) } });
    }
  });
  // The final usage, as message_delta carries it (the stream's translation reads it from there).
  events.push({ type: "message_delta", delta: { stop_reason: m.stop_reason, stop_sequence: m.stop_sequence }, usage: m.usage } as unknown as RawMessageStreamEvent);
  events.push({ type: "message_stop" });
  return events;
}

export function messageChunks(m: Message, created: number): ChatCompletionChunk[] {
  const translate = createChunkTranslator(created);
  return messageEvents(m).flatMap((e) => translate(e));
}

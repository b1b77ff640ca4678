/**
 * Anthropic stream events → OpenAI chat completion chunks. The translator is pure apart from the
 * little state one stream needs (message id, model, which content block is which tool call, usage).
 */
import type { MessageDeltaUsage, RawMessageStreamEvent, Usage } from "@anthropic-ai/sdk/resources/messages";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { ALIVE, type StreamItem } from "../../stream/chunks.js";
import { StreamTruncatedError } from "./errors.js";
import { finishReason, promptTokens, toUsage } from "./response.js";

type Delta = ChatCompletionChunk.Choice.Delta;
type InputUsage = Pick<Usage, "input_tokens" | "cache_creation_input_tokens" | "cache_read_input_tokens">;

/** message_delta's usage is cumulative; where it repeats the input counts, they are the later word. */
function mergeInput(start: InputUsage, delta: MessageDeltaUsage): InputUsage {
  return {
    input_tokens: delta.input_tokens ?? start.input_tokens,
    cache_creation_input_tokens: delta.cache_creation_input_tokens ?? start.cache_creation_input_tokens,
    cache_read_input_tokens: delta.cache_read_input_tokens ?? start.cache_read_input_tokens,
  };
}

/** Returns a function that turns each event of one stream into zero or more chunks, in order. */
export function createChunkTranslator(created: number): (event: RawMessageStreamEvent) => ChatCompletionChunk[] {
  let id = "chatcmpl-";
  let model = "";
  let input: InputUsage = { input_tokens: 0, cache_creation_input_tokens: null, cache_read_input_tokens: null };
  let outputTokens = 0;
  // Anthropic numbers all content blocks; OpenAI numbers tool calls only.
  const toolIndexOfBlock = new Map<number, number>();

  const chunk = (choices: ChatCompletionChunk.Choice[]): ChatCompletionChunk => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices,
  });
  const deltaChunk = (delta: Delta, finish: ChatCompletionChunk.Choice["finish_reason"] = null) =>
    chunk([{ index: 0, delta, finish_reason: finish, logprobs: null }]);

  return (event) => {
    switch (event.type) {
      case "message_start":
        id = `chatcmpl-${event.message.id}`;
        model = event.message.model;
        input = event.message.usage;
        outputTokens = event.message.usage.output_tokens;
        return [deltaChunk({ role: "assistant", content: "" })];
      case "content_block_start": {
        const block = event.content_block;
        if (block.type !== "tool_use") return [];
        const index = toolIndexOfBlock.size;
        toolIndexOfBlock.set(event.index, index);
        return [
          deltaChunk({
            tool_calls: [{ index, id: block.id, type: "function", function: { name: block.name, arguments: "" } }],
          }),
        ];
      }
      case "content_block_delta": {
        const delta = event.delta;
        if (delta.type === "text_delta") return delta.text ? [deltaChunk({ content: delta.text })] : [];
        if (delta.type !== "input_json_delta") return []; // thinking, signature, citations
        const index = toolIndexOfBlock.get(event.index);
        if (index === undefined || !delta.partial_json) return [];
        return [deltaChunk({ tool_calls: [{ index, function: { arguments: delta.partial_json } }] })];
      }
      case "message_delta":
        outputTokens = event.usage.output_tokens;
        input = mergeInput(input, event.usage);
        return event.delta.stop_reason ? [deltaChunk({}, finishReason(event.delta.stop_reason))] : [];
      case "message_stop":
        return [{ ...chunk([]), usage: toUsage(promptTokens(input), outputTokens) }];
      default:
        // content_block_stop, and event types newer than this code.
        return [];
    }
  };
}

/**
 * Yields the chunks of a whole stream, each event's together. Throws StreamTruncatedError if the events end without
 * message_stop, so a cut stream never looks complete (the SDK ends quietly when aborted).
 */
export async function* translateStream(
  events: AsyncIterable<RawMessageStreamEvent>,
  created: number,
): AsyncGenerator<StreamItem, void, undefined> {
  const translate = createChunkTranslator(created);
  let stopped = false;
  // Read to the end rather than return at message_stop: leaving early would abort a finished response.
  for await (const event of events) {
    if (stopped) continue;
    const chunks = translate(event);
    if (chunks.length > 0) yield chunks;
    // Extended thinking has no place in an OpenAI chunk, but it is the model working: a long think
    // before the first text is not a slow first token, nor a stall. (A `ping` proves only the server.)
    else if (event.type === "content_block_delta" && (event.delta.type === "thinking_delta" || event.delta.type === "signature_delta")) yield ALIVE;
    stopped = event.type === "message_stop";
  }
  if (!stopped) throw new StreamTruncatedError();
}

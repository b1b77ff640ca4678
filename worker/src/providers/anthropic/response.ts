/**
 * An Anthropic Message → an OpenAI chat completion. Pure.
 */
import type { Message, StopReason, Usage } from "@anthropic-ai/sdk/resources/messages";
import type { ChatCompletion, ChatCompletionMessageFunctionToolCall } from "openai/resources/chat/completions";
import type { CompletionUsage } from "openai/resources/completions";

export type FinishReason = ChatCompletion.Choice["finish_reason"];

/** Anthropic's stop_reason in OpenAI's words. */
export function finishReason(stop: StopReason | null): FinishReason {
  switch (stop) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      // end_turn, stop_sequence, pause_turn, and null (never set on a finished message).
      return "stop";
  }
}

type InputUsage = Pick<Usage, "input_tokens" | "cache_creation_input_tokens" | "cache_read_input_tokens">;

/** Anthropic counts cached prompt tokens apart; OpenAI's prompt_tokens includes them. */
export function promptTokens(u: InputUsage): number {
  return u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
}

export function toUsage(promptTokens: number, completionTokens: number): CompletionUsage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

export function fromAnthropicMessage(msg: Message, created: number): ChatCompletion {
  const texts: string[] = [];
  const toolCalls: ChatCompletionMessageFunctionToolCall[] = [];
  for (const block of msg.content) {
    if (block.type === "text") texts.push(block.text);
    else if (block.type === "tool_use") {
      toolCalls.push({
        id: block.id,
        type: "function",
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
    // Thinking and server-tool blocks have no place in an OpenAI message.
  }
  const message: ChatCompletion.Choice["message"] = {
    role: "assistant",
    content: texts.length > 0 ? texts.join("") : null,
    refusal: null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id: `chatcmpl-${msg.id}`,
    object: "chat.completion",
    created,
    model: msg.model,
    choices: [{ index: 0, message, finish_reason: finishReason(msg.stop_reason), logprobs: null }],
    usage: toUsage(promptTokens(msg.usage), msg.usage.output_tokens),
  };
}

/**
 * Anthropic's stop reasons and usage in OpenAI's words, for the stream translation. Pure.
 */
import type { StopReason, Usage } from "@anthropic-ai/sdk/resources/messages";
import type { ChatCompletion } from "openai/resources/chat/completions";
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

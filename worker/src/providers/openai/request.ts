/**
 * Hearth's request (already OpenAI-shaped and validated) → the OpenAI SDK's params. Nearly the
 * identity: the provider prefix comes off the model, and usage is always asked for when streaming so
 * Hearth can count tokens (the caller drops that chunk unless the client asked for it too).
 */
import type { ChatRequest } from "@hearth/shared";
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from "openai/resources/chat/completions";

export function toOpenAIRequest(req: ChatRequest, model: string): ChatCompletionCreateParamsNonStreaming {
  const { stream: _stream, stream_options: _opts, ...rest } = req;
  // zod already dropped unknown fields; what is left is the OpenAI schema, so this cast only bridges
  // zod's inferred types and the SDK's declared ones.
  return { ...(rest as unknown as ChatCompletionCreateParamsNonStreaming), model };
}

/** `usage`: ask for the usage chunk (Hearth counts tokens with it; a client's stream carried as it came gets it only if it asked). */
export function toOpenAIStreamRequest(req: ChatRequest, model: string, usage = true): ChatCompletionCreateParamsStreaming {
  return { ...toOpenAIRequest(req, model), stream: true, ...(usage ? { stream_options: { include_usage: true } } : {}) };
}

/**
 * Ollama's `/api/chat` NDJSON chunks → GenerationEvents. Pure over any async iterable, so it is tested
 * without a network.
 *
 * Tool calls arrive whole: recent Ollama streams each in its own chunk before the final one, older
 * versions put them on the final message; both are read from every chunk.
 */
import { randomBytes } from "node:crypto";
import type { ChatResponse, ToolCall } from "ollama";
import { BackendError, type FinishReason, type GenerationEvent } from "../types.js";

/** Only the fields read here, so tests can feed minimal chunks. */
export type ChatChunk = Pick<ChatResponse, "done"> &
  Partial<Pick<ChatResponse, "done_reason" | "prompt_eval_count" | "eval_count" | "eval_duration" | "load_duration">> & {
    message?: Partial<Pick<ChatResponse["message"], "content" | "tool_calls">>;
  };

export interface StreamHooks {
  /** Called once, when the first chunk arrives: the model is loaded by then. */
  onFirstChunk?: () => void;
  /** Called with the final chunk, e.g. to record the measured speed. */
  onDone?: (final: ChatChunk) => void;
  /** Tool call ids; OpenAI clients expect one per call and Ollama gives none. Default: `call_<24 hex>`. */
  newId?: () => string;
}

export const randomCallId = () => `call_${randomBytes(12).toString("hex")}`;

export function finishReason(final: ChatChunk, sawToolCalls: boolean): FinishReason {
  if (sawToolCalls) return "tool_calls";
  return final.done_reason === "length" ? "length" : "stop";
}

/** Ollama sends arguments as an object; an older or odd server may send the JSON text itself. */
function argumentsText(args: ToolCall["function"]["arguments"] | string | undefined): string {
  return typeof args === "string" ? args : JSON.stringify(args ?? {});
}

export async function* toGenerationEvents(chunks: AsyncIterable<ChatChunk>, hooks: StreamHooks = {}): AsyncGenerator<GenerationEvent> {
  const newId = hooks.newId ?? randomCallId;
  let index = 0;
  let first = true;
  let final: ChatChunk | undefined;
  for await (const chunk of chunks) {
    if (first) hooks.onFirstChunk?.();
    first = false;
    const content = chunk.message?.content;
    if (content) yield { type: "text", text: content };
    for (const call of chunk.message?.tool_calls ?? []) {
      yield { type: "tool_call", index: index++, id: newId(), name: call.function.name, arguments: argumentsText(call.function.arguments) };
    }
    if (chunk.done) {
      final = chunk;
      break;
    }
  }
  if (!final) throw new BackendError("backend_error", "Ollama's stream ended before its final (done) message");
  hooks.onDone?.(final);
  yield {
    type: "end",
    finishReason: finishReason(final, index > 0),
    usage: { prompt_tokens: final.prompt_eval_count ?? 0, completion_tokens: final.eval_count ?? 0 },
  };
}

/**
 * Tunnel frames (NDJSON from the hub) → OpenAI chunks. Pure apart from reading the byte stream.
 */
import type { SidecarFrame, TunnelErrorCode } from "@hearth/shared";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";

/** The home side answered with an error frame (or the hub did: timeout, disconnected). */
export class LocalFailure extends Error {
  readonly code: TunnelErrorCode;
  constructor(code: TunnelErrorCode, message: string) {
    super(message);
    this.name = "LocalFailure";
    this.code = code;
  }
}

export interface ChunkMeta {
  id: string;
  created: number;
  model: string;
}

/** One frame → the chunks it stands for. Throws LocalFailure on an error frame. */
export function frameToChunks(frame: SidecarFrame, meta: ChunkMeta): ChatCompletionChunk[] {
  const chunk = (delta: ChatCompletionChunk.Choice.Delta, finish: ChatCompletionChunk.Choice["finish_reason"] = null): ChatCompletionChunk => ({
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });
  switch (frame.t) {
    case "start":
      return [chunk({ role: "assistant", content: "" })];
    case "delta": {
      const out: ChatCompletionChunk[] = [];
      if (frame.text) out.push(chunk({ content: frame.text }));
      if (frame.toolCalls?.length) {
        out.push(
          chunk({
            tool_calls: frame.toolCalls.map((t) => ({
              index: t.index,
              ...(t.id ? { id: t.id, type: "function" as const } : {}),
              function: { ...(t.name ? { name: t.name } : {}), arguments: t.arguments ?? "" },
            })),
          }),
        );
      }
      return out;
    }
    case "end":
      return [
        chunk({}, frame.finishReason),
        {
          id: meta.id,
          object: "chat.completion.chunk",
          created: meta.created,
          model: meta.model,
          choices: [],
          usage: { ...frame.usage, total_tokens: frame.usage.prompt_tokens + frame.usage.completion_tokens },
        },
      ];
    case "error":
      throw new LocalFailure(frame.code, frame.message);
    default:
      return [];
  }
}

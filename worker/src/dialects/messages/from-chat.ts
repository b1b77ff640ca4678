/**
 * An answer in OpenAI's chat shape (from home or OpenAI) → Anthropic's Messages API: the streaming
 * event sequence (message_start, content blocks of text and tool_use with their deltas and stops,
 * message_delta with the stop reason and usage, message_stop) and, for a non-streaming client, one
 * Message. Pure apart from the encoder's little state.
 */
import type { Chunk } from "../../stream/chunks.js";
import type { CompletionBuilder } from "../../stream/answer.js";

type Json = Record<string, unknown>;

/** OpenAI's finish reason in Anthropic's words. */
export function stopReason(finish: string | null | undefined): string {
  switch (finish) {
    case "length":
      return "max_tokens";
    case "tool_calls":
      return "tool_use";
    case "content_filter":
      return "refusal";
    default:
      return "end_turn";
  }
}

/** Anthropic message ids start `msg_`; keep the answer's own id behind it. */
const messageId = (id: string) => `msg_${id.replace(/^chatcmpl-/, "")}`;

/** A tool call's arguments as Anthropic's `input` object ({} when the model wrote no valid JSON object). */
export function toolInput(args: string): Json {
  try {
    const v: unknown = JSON.parse(args || "{}");
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {};
  } catch {
    return {};
  }
}

export const sseEvent = (type: string, data: Json): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** Turns chat chunks, in order, into Anthropic's stream events (as SSE text). */
export class AnthropicEncoder {
  #started = false;
  #index = -1;
  #open: "text" | "tool" | undefined;
  /** OpenAI tool call index → Anthropic content block index. */
  readonly #tools = new Map<number, number>();
  #finish: string | null = null;
  #inputTokens = 0;
  #outputTokens = 0;

  constructor(private readonly fallbackModel: string) {}

  #stopOpen(out: string[]): void {
    if (this.#open !== undefined) out.push(sseEvent("content_block_stop", { index: this.#index }));
    this.#open = undefined;
  }

  encode(chunk: Chunk): string {
    const out: string[] = [];
    if (!this.#started) {
      this.#started = true;
      const message = { id: messageId(chunk.id), type: "message", role: "assistant", model: chunk.model || this.fallbackModel, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } };
      out.push(sseEvent("message_start", { message }));
      // Anthropic's own streams send a ping right after message_start; clients that count on it find it.
      out.push(sseEvent("ping", {}));
    }
    if (chunk.usage) {
      this.#inputTokens = chunk.usage.prompt_tokens;
      this.#outputTokens = chunk.usage.completion_tokens;
    }
    const choice = chunk.choices[0];
    const d = choice?.delta;
    if (d?.content) {
      if (this.#open !== "text") {
        this.#stopOpen(out);
        this.#index++;
        this.#open = "text";
        out.push(sseEvent("content_block_start", { index: this.#index, content_block: { type: "text", text: "" } }));
      }
      out.push(sseEvent("content_block_delta", { index: this.#index, delta: { type: "text_delta", text: d.content } }));
    }
    for (const call of d?.tool_calls ?? []) {
      let block = this.#tools.get(call.index);
      if (block === undefined) {
        this.#stopOpen(out);
        this.#index++;
        block = this.#index;
        this.#tools.set(call.index, block);
        this.#open = "tool";
        out.push(sseEvent("content_block_start", { index: block, content_block: { type: "tool_use", id: call.id ?? `toolu_${block}`, name: call.function?.name ?? "", input: {} } }));
      }
      if (call.function?.arguments) out.push(sseEvent("content_block_delta", { index: block, delta: { type: "input_json_delta", partial_json: call.function.arguments } }));
    }
    if (choice?.finish_reason) this.#finish = choice.finish_reason;
    return out.join("");
  }

  /** The closing events, once the answer is whole (after its usage chunk, if any). */
  end(): string {
    const out: string[] = [];
    this.#stopOpen(out);
    out.push(sseEvent("message_delta", { delta: { stop_reason: stopReason(this.#finish), stop_sequence: null }, usage: { input_tokens: this.#inputTokens, output_tokens: this.#outputTokens } }));
    out.push(sseEvent("message_stop", {}));
    return out.join("");
  }
}

/** A whole chat answer → one Anthropic Message. */
export function toMessage(a: CompletionBuilder, fallbackModel: string): Json {
  const content: Json[] = [];
  if (a.text) content.push({ type: "text", text: a.text });
  for (const call of a.calls.filter(Boolean)) content.push({ type: "tool_use", id: call.id, name: call.function.name, input: toolInput(call.function.arguments) });
  return {
    id: messageId(a.id),
    type: "message",
    role: "assistant",
    model: a.model || fallbackModel,
    content,
    stop_reason: stopReason(a.finish),
    stop_sequence: null,
    usage: { input_tokens: a.usage?.prompt_tokens ?? 0, output_tokens: a.usage?.completion_tokens ?? 0 },
  };
}

/**
 * Test-only builders and a recorded Anthropic SSE response, shared by this folder's tests.
 */
import type { Message, Usage } from "@anthropic-ai/sdk/resources/messages";
import type { ChatRequest } from "@hearth/shared";
import type { CloudCall } from "../types.js";

export function usage(u: Partial<Usage> = {}): Usage {
  return {
    cache_creation: null,
    cache_creation_input_tokens: null,
    cache_read_input_tokens: null,
    inference_geo: null,
    input_tokens: 10,
    output_tokens: 5,
    output_tokens_details: null,
    server_tool_use: null,
    service_tier: "standard",
    speed: null,
    ...u,
  };
}

export function message(m: Partial<Message> = {}): Message {
  return {
    id: "msg_01",
    type: "message",
    role: "assistant",
    model: "claude-test",
    container: null,
    diagnostics: null,
    stop_details: null,
    content: [{ type: "text", text: "Hi", citations: null }],
    stop_reason: "end_turn",
    stop_sequence: null,
    ...m,
    usage: m.usage ?? usage(),
  };
}

export function chatRequest(r: Partial<ChatRequest> = {}): ChatRequest {
  return { model: "anthropic/claude-test", messages: [{ role: "user", content: "Hello" }], ...r };
}

export function callContext(c: Partial<CloudCall> = {}): CloudCall {
  return { signal: new AbortController().signal, requestId: "req-test-1", ...c };
}

const event = (type: string, data: object): string => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
const delta = (index: number, d: object): string =>
  event("content_block_delta", { type: "content_block_delta", index, delta: d });

/** What the real API streams for: thinking, then text with multi-byte characters, then two tool calls. */
export const RECORDED_SSE = [
  event("message_start", {
    type: "message_start",
    message: {
      id: "msg_01RecordedStream",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-6",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 472, cache_creation_input_tokens: 20, cache_read_input_tokens: 100, output_tokens: 2 },
    },
  }),
  event("content_block_start", {
    type: "content_block_start",
    index: 0,
    content_block: { type: "thinking", thinking: "", signature: "" },
  }),
  "event: ping\ndata: {\"type\": \"ping\"}\n\n",
  delta(0, { type: "thinking_delta", thinking: "The user wants weather…" }),
  delta(0, { type: "signature_delta", signature: "EqQBCgIYAhIM1gbcDa9GJwZA" }),
  event("content_block_stop", { type: "content_block_stop", index: 0 }),
  event("content_block_start", { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } }),
  delta(1, { type: "text_delta", text: "Café au lait ☕" }),
  delta(1, { type: "text_delta", text: " coming up 🚀, checking Zürich" }),
  delta(1, { type: "text_delta", text: " and 東京." }),
  event("content_block_stop", { type: "content_block_stop", index: 1 }),
  event("content_block_start", {
    type: "content_block_start",
    index: 2,
    content_block: { type: "tool_use", id: "toolu_01Zurich", name: "get_weather", input: {} },
  }),
  delta(2, { type: "input_json_delta", partial_json: "" }),
  delta(2, { type: "input_json_delta", partial_json: "{\"city\": \"Zü" }),
  delta(2, { type: "input_json_delta", partial_json: "rich 🏔\", \"unit\"" }),
  delta(2, { type: "input_json_delta", partial_json: ": \"c\"}" }),
  event("content_block_stop", { type: "content_block_stop", index: 2 }),
  event("content_block_start", {
    type: "content_block_start",
    index: 3,
    content_block: { type: "tool_use", id: "toolu_02Tokyo", name: "get_weather", input: {} },
  }),
  delta(3, { type: "input_json_delta", partial_json: "{\"city\": \"東" }),
  delta(3, { type: "input_json_delta", partial_json: "京\"}" }),
  event("content_block_stop", { type: "content_block_stop", index: 3 }),
  event("message_delta", {
    type: "message_delta",
    delta: { stop_reason: "tool_use", stop_sequence: null },
    usage: { output_tokens: 89 },
  }),
  event("message_stop", { type: "message_stop" }),
].join("");

export const RECORDED_TEXT = "Café au lait ☕ coming up 🚀, checking Zürich and 東京.";
export const RECORDED_TOOL_ARGS = ['{"city": "Zürich 🏔", "unit": "c"}', '{"city": "東京"}'];

/** A streaming HTTP response whose body arrives in exactly these byte chunks. */
export function chunkedResponse(chunks: readonly Uint8Array[], init: ResponseInit = {}): Response {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk) controller.enqueue(chunk);
      else controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" }, ...init });
}

/** Splits bytes at the given offsets (ascending, within range). */
export function splitAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (const end of [...offsets, bytes.length]) {
    out.push(bytes.slice(start, end));
    start = end;
  }
  return out;
}

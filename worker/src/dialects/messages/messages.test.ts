import { describe, expect, it } from "vitest";
import type { Chunk } from "../../stream/chunks.js";
import { CompletionBuilder } from "../../stream/answer.js";
import { MessageAccumulator } from "./accumulate.js";
import { AnthropicEncoder, sseEvent, stopReason, toMessage } from "./from-chat.js";
import { mapModel } from "./model-map.js";
import { parseMessagesRequest, type MessagesRequest } from "./schema.js";
import { toChatRequest } from "./to-chat.js";

const req = (over: Record<string, unknown>): MessagesRequest => parseMessagesRequest({ model: "claude-x", max_tokens: 100, messages: [{ role: "user", content: "hi" }], ...over });

describe("mapModel", () => {
  it("maps Haiku-class names to auto and other Claude names to Anthropic, or auto without its key", () => {
    expect(mapModel("claude-haiku-4-5-20251001", undefined, true).model).toBe("auto");
    expect(mapModel("claude-3-5-haiku-latest", undefined, true).model).toBe("auto");
    expect(mapModel("claude-sonnet-4-5", undefined, true).model).toBe("anthropic/claude-sonnet-4-5");
    expect(mapModel("claude-sonnet-4-5", undefined, false).model).toBe("auto");
  });

  it("tries the user's map first; a * in `to` is the requested name", () => {
    const map = [
      { match: "claude-opus-*", to: "anthropic/*" },
      { match: "CLAUDE-*", to: "local/qwen" },
    ];
    expect(mapModel("claude-opus-4-1", map, false).model).toBe("anthropic/claude-opus-4-1");
    expect(mapModel("claude-sonnet-4-5", map, true).model).toBe("local/qwen");
  });

  it("leaves Hearth's own names as they are", () => {
    for (const name of ["auto", "local", "local/llama3.2:latest", "openai/gpt-4o-mini"]) expect(mapModel(name, undefined, true).model).toBe(name);
  });
});

describe("toChatRequest", () => {
  it("system blocks become one system message; text blocks, images and a tool round trip map over", () => {
    const png = "iVBORw0KGgo=";
    const { chat, anthropicOnly } = toChatRequest(
      req({
        system: [{ type: "text", text: "Be terse.", cache_control: { type: "ephemeral" } }, { type: "text", text: "Be kind." }],
        tools: [{ name: "lookup", input_schema: { type: "object", properties: {} } }],
        tool_choice: { type: "any" },
        stop_sequences: ["END"],
        messages: [
          { role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: png } }, { type: "text", text: "what?" }] },
          { role: "assistant", content: [{ type: "thinking", thinking: "hm", signature: "s" }, { type: "text", text: "Let me look." }, { type: "tool_use", id: "toolu_1", name: "lookup", input: { q: "x" } }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "found" }] }, { type: "text", text: "and?" }] },
        ],
      }),
      "auto",
    );
    expect(anthropicOnly).toBeUndefined();
    expect(chat.messages).toEqual([
      { role: "system", content: "Be terse.\n\nBe kind." },
      { role: "user", content: [{ type: "image_url", image_url: { url: `data:image/png;base64,${png}` } }, { type: "text", text: "what?" }] },
      { role: "assistant", content: "Let me look.", tool_calls: [{ id: "toolu_1", type: "function", function: { name: "lookup", arguments: '{"q":"x"}' } }] },
      { role: "tool", tool_call_id: "toolu_1", content: "found" },
      { role: "user", content: "and?" },
    ]);
    expect(chat).toMatchObject({ model: "auto", max_tokens: 100, tool_choice: "required", stop: ["END"] });
  });

  it("structured outputs (output_config.format, or the beta's output_format) become a strict response_format", () => {
    const schema = { type: "object", properties: { a: { type: "string" } }, required: ["a"], additionalProperties: false };
    const base = { model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }] };
    for (const extra of [{ output_config: { format: { type: "json_schema", schema } } }, { output_format: { type: "json_schema", schema } }]) {
      const { chat } = toChatRequest({ ...base, ...extra } as never, "auto");
      expect(chat.response_format).toEqual({ type: "json_schema", json_schema: { name: "output", schema, strict: true } });
    }
    expect(toChatRequest(base as never, "auto").chat.response_format).toBeUndefined();
  });

  it("names what only Anthropic can take: documents, server tools, more than 4 stop sequences", () => {
    expect(toChatRequest(req({ messages: [{ role: "user", content: [{ type: "document", source: { type: "text", data: "x", media_type: "text/plain" } }] }] }), "auto").anthropicOnly).toContain("document");
    expect(toChatRequest(req({ tools: [{ type: "web_search_20250305", name: "web_search" }] }), "auto").anthropicOnly).toContain("server tools");
    expect(toChatRequest(req({ stop_sequences: ["a", "b", "c", "d", "e"] }), "auto").anthropicOnly).toContain("stop_sequences");
  });
});

const chunk = (delta: Chunk["choices"][number]["delta"], finish: Chunk["choices"][number]["finish_reason"] = null): Chunk => ({
  id: "chatcmpl-abc",
  object: "chat.completion.chunk",
  created: 1,
  model: "home-model",
  choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
});
const usage: Chunk = { id: "chatcmpl-abc", object: "chat.completion.chunk", created: 1, model: "home-model", choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } };

/** The event names of SSE text. */
const names = (sse: string) => [...sse.matchAll(/^event: (.*)$/gm)].map((m) => m[1]);

describe("AnthropicEncoder", () => {
  it("writes Anthropic's event sequence for text then a tool call, with the stop reason and usage at the end", () => {
    const e = new AnthropicEncoder("claude-x");
    let sse = "";
    for (const c of [
      chunk({ role: "assistant", content: "" }),
      chunk({ content: "Look" }),
      chunk({ content: "ing." }),
      chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "lookup", arguments: "" } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }),
      chunk({}, "tool_calls"),
      usage,
    ])
      sse += e.encode(c);
    sse += e.end();
    expect(names(sse)).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(sse).toContain('"stop_reason":"tool_use"');
    expect(sse).toContain('"usage":{"input_tokens":7,"output_tokens":3}');
    expect(sse).toContain('"id":"msg_abc"');
  });

  it("maps finish reasons", () => {
    expect([stopReason("stop"), stopReason("length"), stopReason("tool_calls"), stopReason("content_filter"), stopReason(null)]).toEqual(["end_turn", "max_tokens", "tool_use", "refusal", "end_turn"]);
  });
});

describe("toMessage", () => {
  it("folds a chat answer into one message, with tool input as an object", () => {
    const a = new CompletionBuilder();
    for (const c of [chunk({ content: "Hi" }), chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: '{"a":1}' } }] }), chunk({}, "tool_calls"), usage]) a.add(c);
    expect(toMessage(a, "claude-x")).toEqual({
      id: "msg_abc",
      type: "message",
      role: "assistant",
      model: "home-model",
      content: [{ type: "text", text: "Hi" }, { type: "tool_use", id: "call_1", name: "f", input: { a: 1 } }],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 7, output_tokens: 3 },
    });
  });
});

describe("MessageAccumulator", () => {
  it("folds Anthropic's events into the message: thinking and its signature, text, tool input, stop reason, usage", () => {
    const acc = new MessageAccumulator();
    acc.add(
      [
        sseEvent("message_start", { message: { id: "msg_1", type: "message", role: "assistant", model: "claude-x", content: [], stop_reason: null, usage: { input_tokens: 5, output_tokens: 1 } } }),
        sseEvent("content_block_start", { index: 0, content_block: { type: "thinking", thinking: "", signature: "" } }),
        sseEvent("content_block_delta", { index: 0, delta: { type: "thinking_delta", thinking: "hmm" } }),
        sseEvent("content_block_delta", { index: 0, delta: { type: "signature_delta", signature: "sig" } }),
        sseEvent("content_block_stop", { index: 0 }),
        sseEvent("content_block_start", { index: 1, content_block: { type: "tool_use", id: "toolu_1", name: "f", input: {} } }),
        sseEvent("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: '{"a":' } }),
        sseEvent("content_block_delta", { index: 1, delta: { type: "input_json_delta", partial_json: "1}" } }),
        sseEvent("content_block_stop", { index: 1 }),
        sseEvent("message_delta", { delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 9 } }),
        sseEvent("message_stop", {}),
      ].join(""),
    );
    expect(acc.message()).toEqual({
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-x",
      content: [
        { type: "thinking", thinking: "hmm", signature: "sig" },
        { type: "tool_use", id: "toolu_1", name: "f", input: { a: 1 } },
      ],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 9 },
    });
  });
});

describe("parseMessagesRequest", () => {
  it("names the field at fault and refuses deep nesting", () => {
    expect(() => parseMessagesRequest({ model: "m", messages: [{ role: "user", content: "x" }] })).toThrow(/max_tokens/);
    expect(() => parseMessagesRequest({ model: "m", max_tokens: 1, messages: [{ role: "robot", content: "x" }] })).toThrow(/messages\[0\]\.role/);
    let deep: unknown = {};
    for (let i = 0; i < 100; i++) deep = { a: deep };
    expect(() => parseMessagesRequest({ model: "m", max_tokens: 1, messages: [{ role: "user", content: "x" }], metadata: deep })).toThrow(/nested deeper/);
  });
});

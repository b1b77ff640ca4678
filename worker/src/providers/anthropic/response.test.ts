import type { StopReason } from "@anthropic-ai/sdk/resources/messages";
import { describe, expect, it } from "vitest";
import { message, usage } from "./test-fixtures.js";
import { finishReason, fromAnthropicMessage } from "./response.js";

describe("fromAnthropicMessage", () => {
  it("maps a text answer with usage including cached prompt tokens", () => {
    const out = fromAnthropicMessage(
      message({
        id: "msg_42",
        content: [
          { type: "text", text: "Hello, ", citations: null },
          { type: "thinking", thinking: "hidden", signature: "s" },
          { type: "text", text: "world.", citations: null },
        ],
        usage: usage({ input_tokens: 10, cache_creation_input_tokens: 5, cache_read_input_tokens: 100, output_tokens: 7 }),
      }),
      1_700_000_000,
    );
    expect(out).toEqual({
      id: "chatcmpl-msg_42",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "claude-test",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello, world.", refusal: null },
          finish_reason: "stop",
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 115, completion_tokens: 7, total_tokens: 122 },
    });
  });

  it("maps tool_use blocks to tool_calls, content null when there is no text", () => {
    const out = fromAnthropicMessage(
      message({
        stop_reason: "tool_use",
        content: [
          { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Zürich" }, caller: { type: "direct" } },
          { type: "tool_use", id: "toolu_2", name: "now", input: {}, caller: { type: "direct" } },
        ],
      }),
      0,
    );
    const choice = out.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message).toEqual({
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [
        { id: "toolu_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Zürich"}' } },
        { id: "toolu_2", type: "function", function: { name: "now", arguments: "{}" } },
      ],
    });
  });

  it("counts null cache fields as zero", () => {
    const out = fromAnthropicMessage(message({ usage: usage({ input_tokens: 3, output_tokens: 4 }) }), 0);
    expect(out.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
  });
});

describe("finishReason", () => {
  it.each<[StopReason | null, string]>([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["pause_turn", "stop"],
    ["max_tokens", "length"],
    ["model_context_window_exceeded", "length"],
    ["tool_use", "tool_calls"],
    ["refusal", "content_filter"],
    [null, "stop"],
  ])("%s → %s", (stop, expected) => {
    expect(finishReason(stop)).toBe(expected);
    expect(fromAnthropicMessage(message({ stop_reason: stop }), 0).choices[0]?.finish_reason).toBe(expected);
  });
});

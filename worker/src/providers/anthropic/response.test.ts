import type { StopReason } from "@anthropic-ai/sdk/resources/messages";
import { describe, expect, it } from "vitest";
import { usage } from "./test-fixtures.js";
import { finishReason, promptTokens } from "./response.js";

describe("promptTokens", () => {
  it("counts cached prompt tokens in, and null cache fields as zero", () => {
    expect(promptTokens(usage({ input_tokens: 3, cache_creation_input_tokens: 2, cache_read_input_tokens: 5 }))).toBe(10);
    expect(promptTokens(usage({ input_tokens: 3 }))).toBe(3);
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
  });
});

import type { ChatCompletion } from "openai/resources/chat/completions";
import { describe, expect, it } from "vitest";
import { CompletionBuilder } from "../stream/answer.js";
import { completionChunks } from "./whole.js";

const completion = (message: ChatCompletion.Choice["message"], finish: ChatCompletion.Choice["finish_reason"] = "stop"): ChatCompletion => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 5,
  model: "gpt-test",
  choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
});

describe("completionChunks (a chat completion fetched whole)", () => {
  it("builds back the same completion: text, finish and usage", () => {
    const c = completion({ role: "assistant", content: "Hello there", refusal: null });
    const b = new CompletionBuilder();
    for (const chunk of completionChunks(c)) b.add(chunk);
    expect(b.build()).toEqual({ ...c, choices: [{ ...c.choices[0], message: { role: "assistant", content: "Hello there", refusal: null } }] });
  });

  it("carries tool calls with their indexes, and a refusal", () => {
    const calls = [
      { id: "call_1", type: "function" as const, function: { name: "a", arguments: '{"x":1}' } },
      { id: "call_2", type: "function" as const, function: { name: "b", arguments: "{}" } },
    ];
    const b = new CompletionBuilder();
    for (const chunk of completionChunks(completion({ role: "assistant", content: null, refusal: null, tool_calls: calls }, "tool_calls"))) b.add(chunk);
    expect(b.calls).toEqual(calls);
    expect(b.finish).toBe("tool_calls");
    const r = new CompletionBuilder();
    for (const chunk of completionChunks(completion({ role: "assistant", content: null, refusal: "No." }))) r.add(chunk);
    expect(r.refusal).toBe("No.");
  });

  it("is only a handful of chunks, however long the answer", () => {
    expect(completionChunks(completion({ role: "assistant", content: "word ".repeat(5_000), refusal: null }))).toHaveLength(3);
  });
});

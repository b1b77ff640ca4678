import { describe, expect, it } from "vitest";
import { CompletionBuilder } from "../../stream/answer.js";
import { message, usage } from "./test-fixtures.js";
import { messageChunks } from "./whole.js";

const built = (m: Parameters<typeof messageChunks>[0]) => {
  const b = new CompletionBuilder();
  for (const c of messageChunks(m, 7)) b.add(c);
  return b;
};

describe("messageChunks (a message fetched whole)", () => {
  it("says what the stream of the same message says: text, tool calls, finish, usage with cached tokens", () => {
    const m = message({
      content: [
        { type: "thinking", thinking: "hmm", signature: "sig" },
        { type: "text", text: "Let me look. ", citations: null },
        { type: "tool_use", id: "toolu_1", name: "lookup", input: { q: "ünïcode", n: 2 }, caller: { type: "direct" } },
        { type: "tool_use", id: "toolu_2", name: "other", input: {}, caller: { type: "direct" } },
      ] as never,
      stop_reason: "tool_use",
      usage: usage({ input_tokens: 10, output_tokens: 20, cache_read_input_tokens: 100, cache_creation_input_tokens: 5 }),
    });
    const b = built(m);
    expect(b.finished).toBe(true);
    expect(b.id).toBe("chatcmpl-msg_01");
    expect(b.text).toBe("Let me look. ");
    expect(b.finish).toBe("tool_calls");
    expect(b.calls).toEqual([
      { id: "toolu_1", type: "function", function: { name: "lookup", arguments: '{"q":"ünïcode","n":2}' } },
      { id: "toolu_2", type: "function", function: { name: "other", arguments: "{}" } },
    ]);
    // OpenAI's prompt_tokens includes the cached ones Anthropic counts apart.
    expect(b.usage).toMatchObject({ prompt_tokens: 115, completion_tokens: 20 });
  });

  it("maps max_tokens to length and keeps an empty answer finished", () => {
    expect(built(message({ stop_reason: "max_tokens" })).finish).toBe("length");
    const empty = built(message({ content: [] }));
    expect(empty.finished).toBe(true);
    expect(empty.text).toBe("");
  });
});

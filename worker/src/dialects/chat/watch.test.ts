import { describe, expect, it } from "vitest";
import { chatWatch } from "./encode.js";
import { messagesWatch } from "../messages/encode.js";

const chunk = (delta: object, extra: object = {}) => `data: ${JSON.stringify({ id: "c", choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;

/** Feeds `text` cut at every `step` characters, as reads may cut it. */
function feedIn(watch: ReturnType<typeof chatWatch>, text: string, step: number) {
  for (let i = 0; i < text.length; i += step) watch.feed(text.slice(i, i + step));
}

describe("chatWatch (a Chat Completions stream carried as it came)", () => {
  const stream = chunk({ role: "assistant", content: "" }) + chunk({ content: "Hel" }) + chunk({ content: "lo" }) + chunk({ content: " you" }) + "data: [DONE]\n\n";

  it.each([1, 7, 1000])("counts a content delta per token and sees [DONE], however the reads cut it (step %i)", (step) => {
    const w = chatWatch(false, () => 42);
    feedIn(w, stream, step);
    expect(w.end()).toEqual({ finished: true, usage: { prompt_tokens: 42, completion_tokens: 3 } });
  });

  it("takes the usage chunk when the client asked for it", () => {
    const w = chatWatch(true, () => 42);
    feedIn(w, stream.replace("data: [DONE]", `data: ${JSON.stringify({ id: "c", choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } })}\n\ndata: [DONE]`), 5);
    expect(w.end()).toEqual({ finished: true, usage: { prompt_tokens: 9, completion_tokens: 3 } });
  });

  it("is not finished without [DONE]", () => {
    const w = chatWatch(false, () => 1);
    w.feed(chunk({ content: "cut" }));
    expect(w.end().finished).toBe(false);
  });
});

describe("messagesWatch (an Anthropic stream carried as it came)", () => {
  const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const stream =
    ev("message_start", { message: { id: "m", usage: { input_tokens: 10, cache_creation_input_tokens: 5, cache_read_input_tokens: 100, output_tokens: 1 } } }) +
    ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: "hi" } }) +
    ev("message_delta", { delta: { stop_reason: "end_turn" }, usage: { output_tokens: 7 } }) +
    ev("message_stop", {});

  it.each([3, 1000])("finishes at message_stop with the usage in OpenAI's terms (step %i)", (step) => {
    const w = messagesWatch();
    for (let i = 0; i < stream.length; i += step) w.feed(stream.slice(i, i + step));
    expect(w.end()).toEqual({ finished: true, usage: { prompt_tokens: 115, completion_tokens: 7 } });
  });

  it("is not finished without message_stop", () => {
    const w = messagesWatch();
    w.feed(stream.slice(0, stream.indexOf("event: message_stop")));
    expect(w.end().finished).toBe(false);
  });
});

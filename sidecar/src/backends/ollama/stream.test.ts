import { describe, expect, it } from "vitest";
import type { GenerationEvent } from "../types.js";
import { toGenerationEvents, type ChatChunk } from "./stream.js";

async function* from(chunks: ChatChunk[]): AsyncGenerator<ChatChunk> {
  for (const c of chunks) yield c;
}
async function events(chunks: ChatChunk[], ids = ["call_a", "call_b"]): Promise<GenerationEvent[]> {
  const out: GenerationEvent[] = [];
  const next = [...ids];
  for await (const e of toGenerationEvents(from(chunks), { newId: () => next.shift() ?? "call_x" })) out.push(e);
  return out;
}
const final = (extra: Partial<ChatChunk> = {}): ChatChunk => ({ done: true, done_reason: "stop", prompt_eval_count: 9, eval_count: 3, message: { content: "" }, ...extra });

describe("toGenerationEvents", () => {
  it("yields text for content, then end with usage", async () => {
    expect(await events([{ done: false, message: { content: "Hel" } }, { done: false, message: { content: "lo" } }, final()])).toEqual([
      { type: "text", text: "Hel" },
      { type: "text", text: "lo" },
      { type: "end", finishReason: "stop", usage: { prompt_tokens: 9, completion_tokens: 3 } },
    ]);
  });

  it("yields tool calls with ids and JSON text arguments, wherever they arrive, and ends with tool_calls", async () => {
    const call = (name: string) => ({ function: { name, arguments: { city: "Paris" } } });
    const out = await events([{ done: false, message: { content: "", tool_calls: [call("a")] } }, final({ message: { content: "", tool_calls: [call("b")] } })]);
    expect(out).toEqual([
      { type: "tool_call", index: 0, id: "call_a", name: "a", arguments: '{"city":"Paris"}' },
      { type: "tool_call", index: 1, id: "call_b", name: "b", arguments: '{"city":"Paris"}' },
      { type: "end", finishReason: "tool_calls", usage: { prompt_tokens: 9, completion_tokens: 3 } },
    ]);
  });

  it("maps done_reason length, and missing counts to 0", async () => {
    expect((await events([{ done: true, done_reason: "length" }])).at(-1)).toEqual({
      type: "end",
      finishReason: "length",
      usage: { prompt_tokens: 0, completion_tokens: 0 },
    });
  });

  it("throws backend_error when the stream ends without done", async () => {
    await expect(events([{ done: false, message: { content: "x" } }])).rejects.toMatchObject({ code: "backend_error" });
  });

  it("calls onFirstChunk once and onDone with the final chunk", async () => {
    let firsts = 0;
    let done: ChatChunk | undefined;
    for await (const _ of toGenerationEvents(from([{ done: false, message: { content: "a" } }, final()]), {
      onFirstChunk: () => firsts++,
      onDone: (f) => (done = f),
    }));
    expect(firsts).toBe(1);
    expect(done?.eval_count).toBe(3);
  });
});

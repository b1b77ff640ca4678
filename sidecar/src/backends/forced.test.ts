import type { ChatRequest } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import type { GenerationEvent } from "./types.js";
import { asToolCall, forcedCall, type ForcedCall } from "./forced.js";

const tool = (name: string) => ({ type: "function" as const, function: { name, parameters: { type: "object", properties: { q: { type: "string" } } } } });
const req = (tool_choice: ChatRequest["tool_choice"]): ChatRequest => ({ model: "m", messages: [{ role: "user", content: "hi" }], tools: [tool("a"), tool("b")], tool_choice });

async function collect(events: GenerationEvent[], forced: ForcedCall): Promise<GenerationEvent[]> {
  async function* source() {
    yield* events;
  }
  const out: GenerationEvent[] = [];
  for await (const e of asToolCall(source(), forced, () => "call_1")) out.push(e);
  return out;
}
const end = (finishReason: "stop" | "length" = "stop"): GenerationEvent => ({ type: "end", finishReason, usage: { prompt_tokens: 3, completion_tokens: 5 } });

describe("forcedCall", () => {
  it("is nothing for auto, none or no tools", () => {
    expect(forcedCall(req("auto"))).toBeUndefined();
    expect(forcedCall(req("none"))).toBeUndefined();
    expect(forcedCall(req(undefined))).toBeUndefined();
  });
});

describe("asToolCall", () => {
  it("turns a named function's JSON into its call, with progress while the JSON streams", async () => {
    const forced = forcedCall(req({ type: "function", function: { name: "b" } })) as ForcedCall;
    const out = await collect([{ type: "text", text: '{"q": ' }, { type: "text", text: '"x"}' }, end()], forced);
    expect(out).toEqual([
      { type: "progress" },
      { type: "progress" },
      { type: "tool_call", index: 0, id: "call_1", name: "b", arguments: '{"q":"x"}' },
      { ...end(), finishReason: "tool_calls" },
    ]);
  });

  it("reads {name, arguments} when one of several tools was required", async () => {
    const forced = forcedCall(req("required")) as ForcedCall;
    const out = await collect([{ type: "text", text: '{"name": "a", "arguments": {"q": "y"}}' }, end()], forced);
    expect(out[1]).toEqual({ type: "tool_call", index: 0, id: "call_1", name: "a", arguments: '{"q":"y"}' });
  });

  it("passes JSON that is no call on as text, for the Worker's checks to judge", async () => {
    const forced = forcedCall(req("required")) as ForcedCall;
    const out = await collect([{ type: "text", text: '{"name": "a", "argu' }, end("length")], forced);
    expect(out.slice(1)).toEqual([{ type: "text", text: '{"name": "a", "argu' }, end("length")]);
  });
});

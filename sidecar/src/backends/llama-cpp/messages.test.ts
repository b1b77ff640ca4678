import { describe, expect, it } from "vitest";
import type { ChatMessage } from "@hearth/shared";
import { BackendError } from "../types.js";
import { toChatHistory, toFunctions } from "./messages.js";

const call = (id: string, name: string, args: string) => ({ id, type: "function" as const, function: { name, arguments: args } });

describe("toChatHistory", () => {
  it("maps roles and ends with an empty model turn to fill", () => {
    const messages: ChatMessage[] = [
      { role: "system", content: "Be brief." },
      { role: "developer", content: [{ type: "text", text: "Use English." }] },
      { role: "user", content: [{ type: "text", text: "Hi " }, { type: "text", text: "there" }] },
      { role: "assistant", content: "Hello." },
      { role: "user", content: "Bye" },
    ];
    expect(toChatHistory(messages)).toEqual([
      { type: "system", text: "Be brief." },
      { type: "system", text: "Use English." },
      { type: "user", text: "Hi there" },
      { type: "model", response: ["Hello."] },
      { type: "user", text: "Bye" },
      { type: "model", response: [] },
    ]);
  });

  it("continues a trailing assistant message instead of starting a new turn", () => {
    const history = toChatHistory([
      { role: "user", content: "Count" },
      { role: "assistant", content: "1, 2," },
    ]);
    expect(history.at(-1)).toEqual({ type: "model", response: ["1, 2,"] });
    expect(history).toHaveLength(2);
  });

  it("keeps calls, their results and the text after them in one model turn", () => {
    const history = toChatHistory([
      { role: "user", content: "Weather in Oslo and Rome?" },
      { role: "assistant", content: null, tool_calls: [call("c1", "weather", '{"city":"Oslo"}'), call("c2", "weather", '{"city":"Rome"}')] },
      { role: "tool", tool_call_id: "c2", content: '{"c":21}' },
      { role: "tool", tool_call_id: "c1", content: "rain" },
    ]);
    expect(history).toEqual([
      { type: "user", text: "Weather in Oslo and Rome?" },
      {
        type: "model",
        response: [
          { type: "functionCall", name: "weather", params: { city: "Oslo" }, result: "rain", startsNewChunk: true },
          { type: "functionCall", name: "weather", params: { city: "Rome" }, result: { c: 21 }, startsNewChunk: false },
        ],
      },
    ]);
    const next = toChatHistory([
      { role: "user", content: "Weather?" },
      { role: "assistant", content: "Checking.", tool_calls: [call("c1", "weather", "{}")] },
      { role: "tool", tool_call_id: "c1", content: "sun" },
      { role: "assistant", content: "Sunny." },
      { role: "user", content: "Thanks" },
    ]);
    expect(next[1]).toEqual({
      type: "model",
      response: ["Checking.", { type: "functionCall", name: "weather", params: {}, result: "sun", startsNewChunk: true }, "Sunny."],
    });
    expect(next.slice(2)).toEqual([{ type: "user", text: "Thanks" }, { type: "model", response: [] }]);
  });

  it("keeps arguments that are not JSON as a string", () => {
    const history = toChatHistory([
      { role: "user", content: "x" },
      { role: "assistant", tool_calls: [call("c1", "f", "not json")] },
      { role: "tool", tool_call_id: "c1", content: "ok" },
    ]);
    expect(history[1]).toMatchObject({ response: [{ params: "not json" }] });
  });

  it("refuses images and audio as unsupported", () => {
    const run = () => toChatHistory([{ role: "user", content: [{ type: "image_url", image_url: { url: "data:," } }] }]);
    expect(run).toThrow(BackendError);
    expect(run).toThrow(expect.objectContaining({ code: "unsupported" }));
  });

  it("refuses a tool message that answers no call, and a call left unanswered", () => {
    expect(() => toChatHistory([{ role: "user", content: "x" }, { role: "tool", tool_call_id: "nope", content: "r" }])).toThrow(
      expect.objectContaining({ code: "invalid_request" }),
    );
    expect(() =>
      toChatHistory([
        { role: "user", content: "x" },
        { role: "assistant", tool_calls: [call("c1", "f", "{}")] },
        { role: "user", content: "y" },
      ]),
    ).toThrow(expect.objectContaining({ code: "invalid_request" }));
  });
});

describe("toFunctions", () => {
  it("carries name, description and the JSON schema, and no handler", () => {
    const params = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    expect(
      toFunctions([
        { type: "function", function: { name: "weather", description: "Current weather", parameters: params } },
        { type: "function", function: { name: "now" } },
      ]),
    ).toEqual({ weather: { description: "Current weather", params }, now: {} });
  });
});

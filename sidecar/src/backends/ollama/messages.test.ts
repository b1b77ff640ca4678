import type { ChatMessage } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import { BackendError } from "../types.js";
import { imageData, parseArguments, toOllamaMessages } from "./messages.js";

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof BackendError ? e.code : "not a BackendError";
  }
  return "no error";
};

describe("toOllamaMessages", () => {
  it("maps system and developer to system, text parts joined", () => {
    const out = toOllamaMessages([
      { role: "developer", content: "Be brief." },
      { role: "system", content: [{ type: "text", text: "A" }, { type: "text", text: "B" }] },
      { role: "user", content: [{ type: "text", text: "one" }, { type: "text", text: "two" }] },
    ]);
    expect(out).toEqual([
      { role: "system", content: "Be brief." },
      { role: "system", content: "AB" },
      { role: "user", content: "one\ntwo" },
    ]);
  });

  it("puts data: URL images in `images` without the data: prefix", () => {
    const [m] = toOllamaMessages([
      {
        role: "user",
        content: [
          { type: "text", text: "what is this?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
        ],
      },
    ]);
    expect(m).toEqual({ role: "user", content: "what is this?", images: ["iVBORw0KGgo="] });
  });

  it("refuses http image URLs, non-image data URLs, audio and files as unsupported", () => {
    expect(codeOf(() => imageData("https://example.com/cat.png"))).toBe("unsupported");
    expect(codeOf(() => imageData("data:text/plain;base64,aGk="))).toBe("unsupported");
    const audio: ChatMessage = { role: "user", content: [{ type: "input_audio", input_audio: { data: "x", format: "wav" } }] };
    expect(codeOf(() => toOllamaMessages([audio]))).toBe("unsupported");
  });

  it("turns assistant tool calls into objects and names the tool in its result", () => {
    const out = toOllamaMessages([
      { role: "user", content: "weather in Paris?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
      { role: "tool", tool_call_id: "call_unknown", content: "?" },
    ]);
    expect(out.slice(1)).toEqual([
      { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris" } } }] },
      { role: "tool", content: "sunny", tool_name: "get_weather" },
      { role: "tool", content: "?" },
    ]);
  });
});

describe("parseArguments", () => {
  it("reads empty arguments as {} and refuses non-JSON or non-objects", () => {
    expect(parseArguments("f", "")).toEqual({});
    expect(parseArguments("f", '{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(codeOf(() => parseArguments("f", "{oops"))).toBe("invalid_request");
    expect(codeOf(() => parseArguments("f", "[1]"))).toBe("invalid_request");
  });
});

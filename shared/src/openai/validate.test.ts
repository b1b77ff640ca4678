import { describe, expect, it } from "vitest";
import { HearthError } from "../errors.js";
import { contentText, requestedMaxTokens } from "./request.js";
import { formatPath, parseChatRequest } from "./validate.js";

const base = { model: "auto", messages: [{ role: "user", content: "hi" }] };

function paramOf(body: unknown): string | undefined {
  try {
    parseChatRequest(body);
    return "(valid)";
  } catch (err) {
    expect(err).toBeInstanceOf(HearthError);
    return (err as HearthError).param;
  }
}

describe("parseChatRequest", () => {
  it("accepts the full OpenAI surface Hearth supports", () => {
    const req = parseChatRequest({
      ...base,
      messages: [
        { role: "system", content: "be brief" },
        { role: "developer", content: [{ type: "text", text: "really" }] },
        { role: "user", content: [{ type: "text", text: "look" }, { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] },
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c1", content: "ok" },
      ],
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      stop: ["END"],
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
      tool_choice: { type: "function", function: { name: "f" } },
      response_format: { type: "json_schema", json_schema: { name: "s", schema: { type: "object" } } },
    });
    expect(req.messages).toHaveLength(5);
    expect(requestedMaxTokens(req)).toBe(100);
  });

  it("drops unknown fields", () => {
    const req = parseChatRequest({ ...base, future_field: 1 });
    expect("future_field" in req).toBe(false);
  });

  it.each([
    [{ ...base, model: 7 }, "model"],
    [{ ...base, stream: "yes" }, "stream"],
    [{ ...base, top_p: 2 }, "top_p"],
    [{ ...base, stop: ["a", "b", "c", "d", "e"] }, "stop"],
    [{ ...base, messages: [{ role: "assistant", content: 3 }] }, "messages[0].content"],
    [{ ...base, messages: [{ role: "user", content: [{ type: "video", url: "x" }] }] }, "messages[0].content"],
    [{ ...base, tool_choice: "sometimes" }, "tool_choice"],
    [{ ...base, response_format: { type: "yaml" } }, "response_format.type"],
  ])("names the bad field in %j", (body, param) => {
    expect(paramOf(body)).toBe(param);
  });

  it("rejects a body that is not an object", () => {
    expect(() => parseChatRequest([1])).toThrow(/JSON object/);
    expect(() => parseChatRequest(null)).toThrow(HearthError);
  });
});

describe("helpers", () => {
  it("formats paths the way OpenAI names params", () => {
    expect(formatPath(["messages", 0, "content", 1, "text"])).toBe("messages[0].content[1].text");
    expect(formatPath([])).toBe("");
  });
  it("joins text parts and skips the rest", () => {
    expect(contentText([{ type: "text", text: "a" }, { type: "image_url", image_url: { url: "u" } }, { type: "text", text: "b" }])).toBe("ab");
    expect(contentText(null)).toBe("");
  });
});

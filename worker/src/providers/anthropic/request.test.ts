import { HearthError, type ChatMessage } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import { UnsupportedFeatureError } from "./errors.js";
import { chatRequest } from "./test-fixtures.js";
import { DEFAULT_MAX_TOKENS, JSON_INSTRUCTION, toAnthropicRequest } from "./request.js";

const convert = (messages: ChatMessage[], extra = {}) =>
  toAnthropicRequest(chatRequest({ messages, ...extra }), "claude-test");

const weather = {
  type: "function" as const,
  function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
};
const call = (id: string, name: string, args: string) => ({
  id,
  type: "function" as const,
  function: { name, arguments: args },
});

describe("toAnthropicRequest: messages", () => {
  it("moves system and developer messages, wherever they are, into one system string", () => {
    const out = convert([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
      { role: "developer", content: [{ type: "text", text: "Use metric units." }] },
      { role: "assistant", content: "Hello" },
      { role: "system", content: "" },
      { role: "user", content: "Weather?" },
    ]);
    expect(out.system).toBe("Be brief.\n\nUse metric units.");
    expect(out.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Hi" }] },
      { role: "assistant", content: [{ type: "text", text: "Hello" }] },
      { role: "user", content: [{ type: "text", text: "Weather?" }] },
    ]);
  });

  it("leaves system out when there is none", () => {
    expect(convert([{ role: "user", content: "Hi" }])).not.toHaveProperty("system");
  });

  it("merges consecutive same-role messages so roles alternate", () => {
    const out = convert([
      { role: "user", content: "one" },
      { role: "system", content: "between" },
      { role: "user", content: [{ type: "text", text: "two" }] },
      { role: "assistant", content: "a" },
      { role: "assistant", content: [{ type: "text", text: "b" }] },
      { role: "user", content: "three" },
    ]);
    expect(out.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "one" }, { type: "text", text: "two" }] },
      { role: "assistant", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
      { role: "user", content: [{ type: "text", text: "three" }] },
    ]);
  });

  it("turns assistant tool_calls into tool_use blocks after the text, and tool messages into one user turn", () => {
    const out = convert([
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        role: "assistant",
        content: "Checking.",
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          { id: "call_2", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
      { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "rain" }] },
      { role: "user", content: "Thanks, and tomorrow?" },
    ]);
    expect(out.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Paris and Rome?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
          { type: "tool_use", id: "call_2", name: "get_weather", input: { city: "Rome" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_1", content: "sunny" },
          { type: "tool_result", tool_use_id: "call_2", content: "rain" },
          { type: "text", text: "Thanks, and tomorrow?" },
        ],
      },
    ]);
  });

  it("skips empty assistant text and reads empty tool arguments as {}", () => {
    const out = convert([
      { role: "user", content: "now" },
      { role: "assistant", content: null, tool_calls: [call("c", "clock", "")] },
      { role: "tool", tool_call_id: "c", content: "" },
    ]);
    expect(out.messages[1]).toEqual({
      role: "assistant",
      content: [{ type: "tool_use", id: "c", name: "clock", input: {} }],
    });
    expect(out.messages[2]).toEqual({ role: "user", content: [{ type: "tool_result", tool_use_id: "c" }] });
  });

  it.each([["{not json"], ["[1,2]"], ["3"]])("rejects tool arguments %s with the field's path", (args) => {
    const run = () =>
      convert([
        { role: "user", content: "x" },
        { role: "assistant", tool_calls: [call("c", "f", "{}"), call("d", "f", args)] },
      ]);
    expect(run).toThrow(HearthError);
    expect(run).toThrow(
      expect.objectContaining({ code: "invalid_request", param: "messages[1].tool_calls[1].function.arguments" }),
    );
  });

  it("maps images: base64 data URLs and http(s) URLs", () => {
    const out = convert([
      {
        role: "user",
        content: [
          { type: "text", text: "What is this?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          { type: "image_url", image_url: { url: "https://example.com/cat.jpg", detail: "high" } },
        ],
      },
    ]);
    expect(out.messages[0]?.content).toEqual([
      { type: "text", text: "What is this?" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
    ]);
  });

  it("refuses image URLs that are neither http(s) nor data", () => {
    expect(() => convert([{ role: "user", content: [{ type: "image_url", image_url: { url: "ftp://x/y.png" } }] }])).toThrow(
      expect.objectContaining({ code: "invalid_request", param: "messages[0].content[0].image_url.url" }),
    );
  });

  it.each([
    [{ type: "input_audio" as const, input_audio: { data: "AAA", format: "wav" } }, "input_audio"],
    [{ type: "file" as const, file: { file_id: "file-1" } }, "file"],
    [{ type: "image_url" as const, image_url: { url: "data:image/svg+xml;base64,PHN2Zz4=" } }, "image/svg+xml images"],
  ])("throws UnsupportedFeatureError for %o", (part, feature) => {
    const call = () => convert([{ role: "user", content: [part] }]);
    expect(call).toThrow(UnsupportedFeatureError);
    expect(call).toThrow(expect.objectContaining({ feature }));
  });
});

describe("toAnthropicRequest: parameters", () => {
  it("sets model and max_tokens, defaulting max_tokens", () => {
    const out = convert([{ role: "user", content: "x" }]);
    expect(out).toMatchObject({ model: "claude-test", max_tokens: DEFAULT_MAX_TOKENS });
    expect(convert([{ role: "user", content: "x" }], { max_tokens: 50 }).max_tokens).toBe(50);
    expect(convert([{ role: "user", content: "x" }], { max_tokens: 50, max_completion_tokens: 70 }).max_tokens).toBe(70);
  });

  it("does not send sampling parameters, which API version 2026-10-21 rejects", () => {
    const out = convert([{ role: "user", content: "x" }], { temperature: 1.7, top_p: 0.5, seed: 3, presence_penalty: 1 });
    expect(Object.keys(out).sort()).toEqual(["max_tokens", "messages", "model"]);
  });

  it("maps stop to stop_sequences and user to metadata.user_id", () => {
    expect(convert([{ role: "user", content: "x" }], { stop: "END", user: "u-1" })).toMatchObject({
      stop_sequences: ["END"],
      metadata: { user_id: "u-1" },
    });
    expect(convert([{ role: "user", content: "x" }], { stop: ["a", "b"] }).stop_sequences).toEqual(["a", "b"]);
  });

  it("maps tools, filling in a schema when parameters are omitted", () => {
    const out = convert([{ role: "user", content: "x" }], {
      tools: [weather, { type: "function", function: { name: "now", description: "Current time" } }],
    });
    expect(out.tools).toEqual([
      { name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } },
      { name: "now", description: "Current time", input_schema: { type: "object", properties: {} } },
    ]);
    expect(out).not.toHaveProperty("tool_choice");
  });

  it.each([
    ["auto", undefined, { type: "auto" }],
    ["required", undefined, { type: "any" }],
    ["none", undefined, { type: "none" }],
    [{ type: "function", function: { name: "get_weather" } }, undefined, { type: "tool", name: "get_weather" }],
    [undefined, false, { type: "auto", disable_parallel_tool_use: true }],
    ["required", false, { type: "any", disable_parallel_tool_use: true }],
    ["none", false, { type: "none" }],
  ] as const)("maps tool_choice %o with parallel_tool_calls %o", (tool_choice, parallel_tool_calls, expected) => {
    const out = convert([{ role: "user", content: "x" }], { tools: [weather], tool_choice, parallel_tool_calls });
    expect(out.tool_choice).toEqual(expected);
  });

  it("drops tool_choice when no tools are offered", () => {
    expect(convert([{ role: "user", content: "x" }], { tool_choice: "required" })).not.toHaveProperty("tool_choice");
  });

  it("turns JSON mode into a system instruction, with the schema when given", () => {
    const plain = convert([{ role: "system", content: "Be brief." }, { role: "user", content: "x" }], {
      response_format: { type: "json_object" },
    });
    expect(plain.system).toBe(`Be brief.\n\n${JSON_INSTRUCTION}`);
    const schema = { type: "object", properties: { n: { type: "number" } } };
    const typed = convert([{ role: "user", content: "x" }], {
      response_format: { type: "json_schema", json_schema: { name: "n", schema } },
    });
    expect(typed.system).toContain(JSON_INSTRUCTION);
    expect(typed.system).toContain(JSON.stringify(schema));
    expect(convert([{ role: "user", content: "x" }], { response_format: { type: "text" } })).not.toHaveProperty("system");
  });
});

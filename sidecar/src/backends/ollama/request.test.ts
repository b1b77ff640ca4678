import type { ChatRequest } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import { toOllamaChatBody, toOllamaFormat, toOllamaOptions } from "./request.js";

const base: ChatRequest = { model: "local/x", messages: [{ role: "user", content: "hi" }] };
const tool = (name: string) => ({
  type: "function" as const,
  function: { name, description: `the ${name} tool`, parameters: { type: "object", properties: { q: { type: "string" } } } },
});

describe("toOllamaChatBody", () => {
  it("sends only what was asked: no options, tools or format for a plain request", () => {
    expect(toOllamaChatBody("llama3.2:latest", base)).toEqual({ model: "llama3.2:latest", messages: [{ role: "user", content: "hi" }] });
  });

  it("passes keep_alive and num_ctx from the backend's options", () => {
    const body = toOllamaChatBody("m", base, { keepAlive: "30m", numCtx: 8192 });
    expect(body.keep_alive).toBe("30m");
    expect(body.options).toEqual({ num_ctx: 8192 });
  });

  it("sends tools with their JSON schema unchanged", () => {
    const body = toOllamaChatBody("m", { ...base, tools: [tool("a"), tool("b")] });
    expect(body.tools).toEqual([tool("a"), tool("b")]);
  });

  it("maps tool_choice: none drops tools, auto keeps them", () => {
    expect(toOllamaChatBody("m", { ...base, tools: [tool("a")], tool_choice: "none" }).tools).toBeUndefined();
    expect(toOllamaChatBody("m", { ...base, tools: [tool("a")], tool_choice: "auto" }).tools).toHaveLength(1);
  });

  it("asks for a named function through format: its parameters schema, no tools, the function in the system message", () => {
    const body = toOllamaChatBody("m", { ...base, messages: [{ role: "system", content: "Be brief." }, ...base.messages], tools: [tool("a"), tool("b")], tool_choice: { type: "function", function: { name: "b" } } });
    expect(body.tools).toBeUndefined();
    expect(body.format).toEqual(tool("b").function.parameters);
    expect(body.messages?.[0]?.content).toMatch(/^Be brief\.\n\nCall the function b now\./);
    expect(body.messages).toHaveLength(2);
  });

  it("asks for required through format: one of the tools' {name, arguments}", () => {
    const body = toOllamaChatBody("m", { ...base, tools: [tool("a"), tool("b")], tool_choice: "required" });
    expect(body.format).toEqual({ oneOf: ["a", "b"].map((n) => ({ type: "object", properties: { name: { const: n }, arguments: tool(n).function.parameters }, required: ["name", "arguments"] })) });
    expect(body.messages?.[0]).toMatchObject({ role: "system", content: expect.stringContaining("Call one of these functions now.") });
  });

  it("refuses a forced call with response_format JSON, with a continuation, or naming a tool not offered", () => {
    const forced = { type: "function" as const, function: { name: "a" } };
    const unsupported = expect.objectContaining({ code: "unsupported" });
    expect(() => toOllamaChatBody("m", { ...base, tools: [tool("a")], tool_choice: forced, response_format: { type: "json_object" } })).toThrow(unsupported);
    expect(() => toOllamaChatBody("m", { ...base, tools: [tool("a")], tool_choice: "required" }, { prefix: "x" })).toThrow(unsupported);
    expect(() => toOllamaChatBody("m", { ...base, tools: [tool("a")], tool_choice: { type: "function", function: { name: "z" } } })).toThrow(unsupported);
  });
});

describe("toOllamaChatBody continuing an answer", () => {
  it("puts the text so far last, as the assistant's turn, which Ollama writes on from", () => {
    const body = toOllamaChatBody("m", base, { prefix: "Once upon a" });
    expect(body.messages).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: "Once upon a" },
    ]);
  });
});

describe("toOllamaOptions", () => {
  it("maps sampling options and the token cap under either spelling", () => {
    expect(toOllamaOptions({ ...base, temperature: 0, top_p: 0.9, seed: 7, stop: "END", max_tokens: 50, presence_penalty: 0.5 })).toEqual({
      temperature: 0,
      top_p: 0.9,
      seed: 7,
      stop: ["END"],
      num_predict: 50,
      presence_penalty: 0.5,
    });
    expect(toOllamaOptions({ ...base, max_completion_tokens: 12, stop: ["a", "b"] })).toEqual({ num_predict: 12, stop: ["a", "b"] });
  });
});

describe("toOllamaFormat", () => {
  it("is json for json_object, the schema for json_schema, absent for text", () => {
    const schema = { type: "object", properties: { age: { type: "integer" } } };
    expect(toOllamaFormat({ ...base, response_format: { type: "text" } })).toBeUndefined();
    expect(toOllamaFormat({ ...base, response_format: { type: "json_object" } })).toBe("json");
    expect(toOllamaFormat({ ...base, response_format: { type: "json_schema", json_schema: { name: "p", schema } } })).toEqual(schema);
    expect(toOllamaFormat({ ...base, response_format: { type: "json_schema", json_schema: { name: "p" } } })).toBe("json");
  });
});

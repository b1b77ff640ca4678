import { describe, expect, it } from "vitest";
import { parseChatRequest } from "../openai/validate.js";
import { checkAnswer } from "./check.js";
import { contractOf } from "./contract.js";
import type { Answer } from "./types.js";

const weather = { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } };
const req = (extra: object = {}) => parseChatRequest({ model: "m", messages: [{ role: "user", content: "hi" }], ...extra });
const withTools = (extra: object = {}) => contractOf(req({ tools: [weather], ...extra }));
const schema = { type: "object", properties: { city: { type: "string" }, temp: { type: "number" } }, required: ["city", "temp"], additionalProperties: false };
const jsonSchema = contractOf(req({ response_format: { type: "json_schema", json_schema: { name: "w", schema, strict: true } } }));
const text = (t: string, finishReason: Answer["finishReason"] = "stop"): Answer => ({ text: t, toolCalls: [], finishReason });
const called = (args: string): Answer => ({ text: "", toolCalls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: args } }], finishReason: "tool_calls" });
const newId = () => "call_x";

describe("checkAnswer: degenerate answers, for every request", () => {
  it("fails an empty answer, but not a refusal", () => {
    expect(checkAnswer(text("  \n"), contractOf(req()))).toEqual({ ok: false, check: "empty", detail: "no text, no tool call" });
    expect(checkAnswer({ ...text(""), refusal: "I can't help with that." }, jsonSchema)).toEqual({ ok: true });
  });

  it("fails a cut by home's own limit when the client set no max_tokens, and passes the client's own cut", () => {
    expect(checkAnswer(text("A long answer that went on", "length"), contractOf(req()))).toMatchObject({ ok: false, check: "context_cut" });
    expect(checkAnswer(text("A long answer that went on", "length"), contractOf(req({ max_tokens: 5 })))).toEqual({ ok: true });
    // Cut by the client's cap: a cloud answer would be as short, so its JSON is not held against it.
    expect(checkAnswer(text('{"city": "Os', "length"), contractOf(req({ max_tokens: 5, response_format: { type: "json_object" } })))).toEqual({ ok: true });
  });

  it("names a loop cut by the length limit before anything else, even under the client's cap", () => {
    const loop = text(`Sure. ${"and then the kettle boiled ".repeat(12)}`, "length");
    expect(checkAnswer(loop, contractOf(req({ max_tokens: 100 })))).toMatchObject({ ok: false, check: "repetition", detail: "a 27-character span repeated 12 times to the end" });
  });
});

describe("checkAnswer: tools", () => {
  it("passes a good call and fails a bad one with its check", () => {
    expect(checkAnswer(called('{"city":"Oslo"}'), withTools())).toEqual({ ok: true });
    expect(checkAnswer(called('{"town":"Oslo"}'), withTools())).toMatchObject({ ok: false, check: "tool_args_schema" });
  });

  it("repairs a call written as text into a proper call with finish_reason tool_calls", () => {
    const r = checkAnswer(text('```json\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n```'), withTools(), { newId });
    expect(r).toEqual({ ok: true, repair: "tool_call_from_text", repaired: { text: "", finishReason: "tool_calls", toolCalls: [{ id: "call_x", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }] } });
  });

  it("fails a required call that did not come (OpenAI required, Anthropic any), and a named one (Anthropic tool)", () => {
    expect(checkAnswer(text("It is sunny."), withTools({ tool_choice: "required" }))).toEqual({ ok: false, check: "tool_choice_ignored", detail: "tool_choice required, and the answer calls no tool" });
    expect(checkAnswer(text("It is sunny."), withTools({ tool_choice: { type: "function", function: { name: "get_weather" } } }))).toMatchObject({ check: "tool_choice_ignored" });
    expect(checkAnswer(text("It is sunny."), withTools())).toEqual({ ok: true });
  });

  it("with tool_choice none, a call written as text is only text", () => {
    expect(checkAnswer(text('{"name": "get_weather", "arguments": {"city": "Oslo"}}'), withTools({ tool_choice: "none" }))).toEqual({ ok: true });
  });
});

describe("checkAnswer: structured output (chat response_format, Responses text.format)", () => {
  it("passes JSON that validates, and repairs a fence or a preamble", () => {
    expect(checkAnswer(text('{"city": "Oslo", "temp": 3}'), jsonSchema)).toEqual({ ok: true });
    expect(checkAnswer(text('```json\n{"city": "Oslo", "temp": 3}\n```'), jsonSchema)).toMatchObject({ ok: true, repair: "json_unfenced", repaired: { text: '{"city": "Oslo", "temp": 3}' } });
    expect(checkAnswer(text('Here it is:\n{"city": "Oslo", "temp": 3}'), jsonSchema)).toMatchObject({ ok: true, repair: "json_preamble" });
  });

  it("fails prose, and JSON against the schema (strict: no other properties)", () => {
    expect(checkAnswer(text("It is 3 degrees in Oslo."), jsonSchema)).toEqual({ ok: false, check: "json_parse", detail: "the text is not JSON" });
    expect(checkAnswer(text('{"city": "Oslo"}'), jsonSchema)).toEqual({ ok: false, check: "json_schema", detail: '/: required "temp"' });
    expect(checkAnswer(text('{"city": "Oslo", "temp": 3, "wind": 2}'), jsonSchema)).toMatchObject({ check: "json_schema", detail: "/: additionalProperties" });
  });

  it("json_object wants an object", () => {
    const c = contractOf(req({ response_format: { type: "json_object" } }));
    expect(checkAnswer(text('{"a": 1}'), c)).toEqual({ ok: true });
    expect(checkAnswer(text("[1, 2]"), c)).toMatchObject({ check: "json_schema" });
  });

  it("with tools and a format, a valid call or valid JSON both pass", () => {
    const c = contractOf(req({ tools: [weather], response_format: { type: "json_schema", json_schema: { name: "w", schema } } }));
    expect(checkAnswer(called('{"city":"Oslo"}'), c)).toEqual({ ok: true });
    expect(checkAnswer(text('{"city": "Oslo", "temp": 3}'), c)).toEqual({ ok: true });
    expect(checkAnswer(text('{"name": "get_weather", "arguments": {"city": "Oslo"}}'), c, { newId })).toMatchObject({ ok: true, repair: "tool_call_from_text" });
    expect(checkAnswer(text("warm"), c)).toMatchObject({ check: "json_parse" });
  });
});

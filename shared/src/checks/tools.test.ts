import { describe, expect, it } from "vitest";
import { parseChatRequest } from "../openai/validate.js";
import { contractOf } from "./contract.js";
import { checkToolCalls, readArguments } from "./tools.js";

const weather = { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } };
const time = { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } };
const contract = (extra: object = {}) => contractOf(parseChatRequest({ model: "m", messages: [{ role: "user", content: "hi" }], tools: [weather, time], ...extra }));
const call = (name: string, args: string, id = "call_1") => ({ id, type: "function" as const, function: { name, arguments: args } });

describe("checkToolCalls", () => {
  it("passes calls to offered tools whose arguments validate", () => {
    expect(checkToolCalls([call("get_weather", '{"city":"Oslo"}')], contract())).toEqual({ ok: true, calls: [call("get_weather", '{"city":"Oslo"}')], repair: undefined });
  });

  it("names a tool that was not offered", () => {
    expect(checkToolCalls([call("rm_rf", "{}")], contract())).toEqual({ ok: false, check: "tool_unknown", detail: "rm_rf was not offered" });
  });

  it("fails arguments that are not a JSON object", () => {
    for (const args of ['{"city": "Oslo"', "[1]", "null", "city=Oslo"]) {
      expect(checkToolCalls([call("get_weather", args)], contract())).toMatchObject({ ok: false, check: "tool_args_json" });
    }
  });

  it("fails arguments that miss a required field or have the wrong type", () => {
    expect(checkToolCalls([call("get_weather", "{}")], contract())).toEqual({ ok: false, check: "tool_args_schema", detail: 'get_weather: /: required "city"' });
    expect(checkToolCalls([call("get_weather", '{"city": 7}')], contract())).toMatchObject({ check: "tool_args_schema", detail: "get_weather: /city: type" });
  });

  it("repairs arguments encoded twice and empty arguments, exactly", () => {
    const twice = JSON.stringify(JSON.stringify({ city: "Oslo" }));
    expect(checkToolCalls([call("get_weather", twice)], contract())).toEqual({ ok: true, calls: [call("get_weather", '{"city":"Oslo"}')], repair: "tool_args_unwrapped" });
    expect(checkToolCalls([call("get_time", "")], contract())).toEqual({ ok: true, calls: [call("get_time", "{}")], repair: "tool_args_empty" });
    expect(checkToolCalls([call("get_weather", "")], contract())).toMatchObject({ check: "tool_args_schema" });
  });

  it("holds the calls to a named tool_choice and to none (Anthropic's tool / none arrive as these)", () => {
    const named = contract({ tool_choice: { type: "function", function: { name: "get_time" } } });
    expect(checkToolCalls([call("get_weather", '{"city":"x"}')], named)).toMatchObject({ ok: false, check: "tool_choice_ignored" });
    expect(checkToolCalls([call("get_time", "{}")], named).ok).toBe(true);
    expect(checkToolCalls([call("get_time", "{}")], contract({ tool_choice: "none" }))).toMatchObject({ check: "tool_choice_ignored" });
  });

  it("keeps a made-up tool name out of traces but for identifier characters", () => {
    expect(checkToolCalls([call('x"; drop <b>', "{}")], contract())).toMatchObject({ detail: "x???drop??b? was not offered" });
  });
});

describe("readArguments", () => {
  it("reads an object, an object encoded twice, and nothing as {}", () => {
    expect(readArguments('{"a":1}')).toEqual({ value: { a: 1 }, repair: undefined });
    expect(readArguments('"{\\"a\\":1}"')).toEqual({ value: { a: 1 }, repair: "tool_args_unwrapped" });
    expect(readArguments("  ")).toEqual({ value: {}, repair: "tool_args_empty" });
    expect(readArguments('"just a string"')).toBeUndefined();
  });
});

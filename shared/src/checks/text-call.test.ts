import { describe, expect, it } from "vitest";
import { parseChatRequest } from "../openai/validate.js";
import { contractOf } from "./contract.js";
import { textCall } from "./text-call.js";

const read = { type: "function", function: { name: "Read", parameters: { type: "object", properties: { file_path: { type: "string" } }, required: ["file_path"], additionalProperties: false } } };
const ls = { type: "function", function: { name: "LS", parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] } } };
const c = contractOf(parseChatRequest({ model: "m", messages: [{ role: "user", content: "hi" }], tools: [read, ls] }));
let n = 0;
const newId = () => `call_${++n}`;
const proper = (name: string, args: object, id: string) => ({ id, type: "function", function: { name, arguments: JSON.stringify(args) } });

describe("textCall: the shapes home models write a call in", () => {
  const args = { file_path: "/etc/hosts" };
  it.each([
    ["name + arguments", JSON.stringify({ name: "Read", arguments: args })],
    ["name + parameters (Llama 3)", JSON.stringify({ name: "Read", parameters: args })],
    ["name + arguments as a JSON string", JSON.stringify({ name: "Read", arguments: JSON.stringify(args) })],
    ["function wrapper (OpenAI's own)", JSON.stringify({ type: "function", function: { name: "Read", arguments: args } })],
    ["Anthropic's tool_use", JSON.stringify({ type: "tool_use", id: "toolu_1", name: "Read", input: args })],
    ["<tool_call> tags (Qwen, Hermes)", `<tool_call>\n${JSON.stringify({ name: "Read", arguments: args })}\n</tool_call>`],
    ["a <tool_call> tag the stop token cut before its end", `<tool_call>\n${JSON.stringify({ name: "Read", arguments: args })}`],
    ["[TOOL_CALLS] (Mistral)", `[TOOL_CALLS][${JSON.stringify({ name: "Read", arguments: args })}]`],
    ["<|python_tag|> (Llama 3.1)", `<|python_tag|>${JSON.stringify({ name: "Read", parameters: args })}`],
    ["a json fence", `\`\`\`json\n${JSON.stringify({ name: "Read", arguments: args }, null, 2)}\n\`\`\``],
    ["{tool_calls: […]}", JSON.stringify({ tool_calls: [{ function: { name: "Read", arguments: JSON.stringify(args) } }] })],
  ])("%s becomes a proper call", (_, text) => {
    n = 0;
    expect(textCall(`\n ${text} \n`, c, newId)).toEqual({ kind: "calls", calls: [proper("Read", args, "call_1")], text: "" });
  });

  it("reads a list of calls, and keeps the prose around tags as text", () => {
    n = 0;
    const list = JSON.stringify([{ name: "Read", arguments: { file_path: "a" } }, { name: "LS", arguments: { path: "/" } }]);
    expect(textCall(list, c, newId)).toEqual({ kind: "calls", calls: [proper("Read", { file_path: "a" }, "call_1"), proper("LS", { path: "/" }, "call_2")], text: "" });
    n = 0;
    const tagged = `I'll look at the file.\n<tool_call>{"name": "Read", "arguments": {"file_path": "a"}}</tool_call>`;
    expect(textCall(tagged, c, newId)).toEqual({ kind: "calls", calls: [proper("Read", { file_path: "a" }, "call_1")], text: "I'll look at the file." });
  });

  it("leaves plain text and JSON that names no offered tool alone", () => {
    expect(textCall("The file is at /etc/hosts.", c)).toEqual({ kind: "text" });
    expect(textCall('{"name": "Alice", "age": 3}', c)).toEqual({ kind: "text" });
    expect(textCall('{"name": "Write", "arguments": {}}', c)).toEqual({ kind: "text" });
    expect(textCall('{"result": "Read"}', c)).toEqual({ kind: "text" });
  });

  it("will not repair a call whose arguments fail: that is no exact repair", () => {
    expect(textCall('{"name": "Read", "arguments": {"path": "a"}}', c)).toEqual({
      kind: "broken",
      failure: { ok: false, check: "tool_call_as_text", detail: 'written as text, and tool_args_schema: Read: /: required "file_path"' },
    });
    expect(textCall('{"name": "Read", "arguments": "{not json"}', c)).toMatchObject({ kind: "broken", failure: { check: "tool_call_as_text" } });
  });

  it("fails tags and prefixes that hold no call, and a list with a tool not offered", () => {
    expect(textCall("<tool_call>\nRead the file\n</tool_call>", c)).toMatchObject({ kind: "broken" });
    expect(textCall("[TOOL_CALLS] nothing", c)).toMatchObject({ kind: "broken" });
    expect(textCall(JSON.stringify([{ name: "Read", arguments: { file_path: "a" } }, { name: "Nope", arguments: {} }]), c)).toMatchObject({ kind: "broken" });
  });
});

import { describe, expect, it } from "vitest";
import { parseChatRequest } from "../openai/validate.js";
import { contractOf } from "./contract.js";
import { sniffCall } from "./sniff.js";
import { AnswerStreamChecker, remainder, type AnswerDelta, type Feed } from "./stream.js";

const read = { type: "function", function: { name: "Read", parameters: { type: "object", properties: { file_path: { type: "string" } }, required: ["file_path"] } } };
const req = (extra: object = {}) => contractOf(parseChatRequest({ model: "m", messages: [{ role: "user", content: "hi" }], ...extra }));
const newId = () => "call_x";

/** Feeds the text in pieces of `size`; returns the feeds and what reached the client as text. */
function run(checker: AnswerStreamChecker, text: string, size = 3): { feeds: Feed["kind"][]; sent: string } {
  const feeds: Feed["kind"][] = [];
  let sent = "";
  for (let i = 0; i < text.length; i += size) {
    const content = text.slice(i, i + size);
    const f = checker.feed({ content });
    feeds.push(f.kind);
    if (f.kind === "pass") sent += content;
    if (f.kind === "text") sent += f.text;
  }
  return { feeds, sent };
}

describe("AnswerStreamChecker: what goes out as it comes", () => {
  it("passes plain text chunk by chunk when the request has no contract", () => {
    const c = new AnswerStreamChecker(req());
    const { feeds, sent } = run(c, "The kettle is on.");
    expect(new Set(feeds)).toEqual(new Set(["pass"]));
    expect(sent).toBe("The kettle is on.");
    expect(c.end("stop")).toEqual({ ok: true, repair: undefined, send: { text: "", toolCalls: [], finishReason: "stop", refusal: "" } });
  });

  it("with tools offered, holds only the first characters of prose, then lets them go", () => {
    const c = new AnswerStreamChecker(req({ tools: [read] }));
    const { feeds, sent } = run(c, "  I'll read the file first.", 2);
    expect(feeds.slice(0, 1)).toEqual(["hold"]);
    expect(feeds[1]).toBe("text");
    expect(feeds.slice(2).every((k) => k === "pass")).toBe(true);
    expect(sent).toBe("  I'll read the file first.");
  });

  it("holds a tool call written as text, and sends it repaired at the end", () => {
    const c = new AnswerStreamChecker(req({ tools: [read] }), { newId });
    const { feeds, sent } = run(c, '{"name": "Read", "arguments": {"file_path": "/a"}}');
    expect(new Set(feeds)).toEqual(new Set(["hold"]));
    expect(sent).toBe("");
    expect(c.end("stop")).toEqual({
      ok: true,
      repair: "tool_call_from_text",
      send: { text: "", refusal: "", finishReason: "tool_calls", toolCalls: [{ id: "call_x", type: "function", function: { name: "Read", arguments: '{"file_path":"/a"}' } }] },
    });
  });

  it("lets JSON that is not a call go as soon as its first key says so", () => {
    const c = new AnswerStreamChecker(req({ tools: [read] }));
    const { feeds, sent } = run(c, '{"summary": "all good", "count": 3}', 2);
    expect(feeds.slice(0, 2)).toEqual(["hold", "text"]);
    expect(feeds[2]).toBe("pass");
    expect(sent).toBe('{"summary": "all good", "count": 3}');
  });

  it("streams prose and holds a <tool_call> tag that follows it, even split across chunks", () => {
    const c = new AnswerStreamChecker(req({ tools: [read] }), { newId });
    const { sent } = run(c, 'Let me look.\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "/a"}}\n</tool_call>', 5);
    expect(sent).toBe("Let me look.\n");
    const end = c.end("stop");
    expect(end).toMatchObject({ ok: true, repair: "tool_call_from_text", send: { text: "", finishReason: "tool_calls" } });
  });

  it("holds every text chunk when JSON is asked for, and sends the repaired JSON at the end", () => {
    const schema = { type: "object", properties: { a: { type: "integer" } }, required: ["a"] };
    const c = new AnswerStreamChecker(req({ response_format: { type: "json_schema", json_schema: { name: "x", schema } } }));
    expect(c.feed({ role: "assistant", content: "" } as AnswerDelta)).toEqual({ kind: "pass" });
    const { feeds } = run(c, '```json\n{"a": 1}\n```');
    expect(new Set(feeds)).toEqual(new Set(["hold"]));
    expect(c.end("stop")).toMatchObject({ ok: true, repair: "json_unfenced", send: { text: '{"a": 1}' } });
  });

  it("holds tool-call deltas and checks the whole call at the end", () => {
    const c = new AnswerStreamChecker(req({ tools: [read] }));
    expect(c.feed({ tool_calls: [{ index: 0, id: "call_1", function: { name: "Read", arguments: '{"file_' } }] })).toEqual({ kind: "hold" });
    expect(c.feed({ tool_calls: [{ index: 0, function: { arguments: 'path": 1}' } }] })).toEqual({ kind: "hold" });
    expect(c.end("tool_calls")).toEqual({ ok: false, check: "tool_args_schema", detail: "Read: /file_path: type" });
  });

  it("ends the attempt on a loop mid-stream", () => {
    const c = new AnswerStreamChecker(req());
    let loop: Feed | undefined;
    for (let i = 0; i < 200 && !loop; i++) {
      const f = c.feed({ content: "the kettle sings. " });
      if (f.kind === "loop") loop = f;
    }
    expect(loop).toMatchObject({ kind: "loop", loop: { period: 18 }, failure: { check: "repetition" } });
  });

  it("fails at the end what cannot be delivered exactly: a call after streamed text that is not in tags", () => {
    const c = new AnswerStreamChecker(req({ tools: [read] }));
    run(c, 'Calling it now: {"name": "Read", "arguments": {"file_path": "/a"}}');
    expect(c.end("stop")).toMatchObject({ ok: false, check: "tool_call_as_text" });
  });

  it("an empty stream is an empty answer", () => {
    expect(new AnswerStreamChecker(req()).end("stop")).toMatchObject({ ok: false, check: "empty" });
  });
});

describe("sniffCall / remainder", () => {
  it.each([
    ['{"name"', "call"],
    ['{ "function": {', "call"],
    ["[{", "undecided"],
    ['{"na', "undecided"],
    ["<tool_", "undecided"],
    ["<tool_call>", "call"],
    ["```json\n", "undecided"],
    ["```python\nimport os", "prose"],
    ['{"answer"', "prose"],
    ["[1] See the docs", "prose"],
    ["Hello", "prose"],
  ] as const)("%j → %s", (text, want) => expect(sniffCall(text)).toBe(want));

  it("continues what was sent, or says it cannot", () => {
    expect(remainder("Hi ", "Hi there")).toBe("there");
    expect(remainder("Let me look.\n", "Let me look.")).toBe("");
    expect(remainder("Calling {", "Calling")).toBeUndefined();
  });
});

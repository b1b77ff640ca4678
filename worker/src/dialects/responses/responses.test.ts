import { HearthError } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import { CompletionBuilder } from "../../stream/answer.js";
import type { Chunk } from "../../stream/chunks.js";
import { inputItems, upstreamBody } from "./conversation.js";
import { ResponsesEncoder, responseShell, toResponse } from "./from-chat.js";
import { parseResponsesRequest, typeOf, type Item, type Json, type ResponsesRequest } from "./schema.js";
import { finalResponse } from "./encode.js";
import { toChatRequest } from "./to-chat.js";

const req = (over: Json = {}): ResponsesRequest => parseResponsesRequest({ model: "auto", input: "hi", ...over });
const translate = (over: Json) => {
  const r = req(over);
  return toChatRequest(r, inputItems(r.input));
};

function refusal(body: Json): HearthError {
  try {
    parseResponsesRequest(body);
  } catch (err) {
    expect(err).toBeInstanceOf(HearthError);
    return err as HearthError;
  }
  throw new Error("accepted");
}

const chunk = (delta: Json, finish: string | null = null, usage?: Json): Chunk =>
  ({ id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "local-model", choices: usage ? [] : [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...(usage ? { usage } : {}) }) as Chunk;

describe("parseResponsesRequest", () => {
  it("names the field at fault, OpenAI's way", () => {
    expect(refusal({ input: "x" }).param).toBe("model");
    expect(refusal({ model: "m", input: 3 }).param).toBe("input");
    expect(refusal({ model: "m", input: [{ type: "function_call_output", output: "x" }] }).param).toBe("input[0].call_id");
    expect(refusal({ model: "m", input: [{ role: "robot", content: "x" }] }).param).toBe("input[0].role");
    expect(refusal({ model: "m", input: "x", tools: [{ type: "function", name: "bad name" }] }).param).toBe("tools[0].name");
    expect(refusal({ model: "m", input: "x", text: { format: { type: "json_schema", schema: {} } } }).param).toBe("text.format.name");
    expect(refusal({ model: "m", input: "x", max_output_tokens: 0 }).param).toBe("max_output_tokens");
    let deep: unknown = "x";
    for (let i = 0; i < 70; i++) deep = [deep];
    expect(refusal({ model: "m", input: "x", metadata: { a: deep } }).message).toContain("nested deeper");
  });

  it("lets fields it does not read through untouched", () => {
    const r = parseResponsesRequest({ model: "m", input: "x", include: ["reasoning.encrypted_content"], tools: [{ type: "web_search", filters: { allowed_domains: ["a.b"] } }], future_field: { a: 1 } });
    expect(r.include).toEqual(["reasoning.encrypted_content"]);
    expect(r.tools?.[0]).toEqual({ type: "web_search", filters: { allowed_domains: ["a.b"] } });
    expect(r.future_field).toEqual({ a: 1 });
  });

  it("reads an item's type: a message by role, a reference by id alone", () => {
    expect(typeOf({ role: "user", content: "x" })).toBe("message");
    expect(typeOf({ id: "msg_1" })).toBe("item_reference");
    expect(typeOf({ type: "function_call" })).toBe("function_call");
  });
});

describe("toChatRequest", () => {
  it("instructions, messages, images, function calls and their outputs map to chat", () => {
    const calls = [
      { type: "function_call", call_id: "call_1", name: "lookup", arguments: '{"q":"a"}' },
      { type: "function_call", call_id: "call_2", name: "lookup", arguments: '{"q":"b"}' },
    ];
    const { chat, openaiOnly } = translate({
      instructions: "Be terse.",
      input: [
        { role: "developer", content: "Use tools." },
        { role: "user", content: [{ type: "input_text", text: "look at " }, { type: "input_image", image_url: "data:image/png;base64,AA==", detail: "low" }] },
        { type: "message", role: "assistant", id: "msg_1", status: "completed", content: [{ type: "output_text", text: "Looking.", annotations: [] }] },
        ...calls,
        { type: "reasoning", id: "rs_1", summary: [], encrypted_content: "opaque" },
        { type: "function_call_output", call_id: "call_1", output: "A" },
        { type: "function_call_output", call_id: "call_2", output: [{ type: "input_text", text: "B" }] },
      ],
    });
    expect(openaiOnly).toBeUndefined();
    expect(chat.messages).toEqual([
      { role: "system", content: "Be terse." },
      { role: "developer", content: "Use tools." },
      { role: "user", content: [{ type: "text", text: "look at " }, { type: "image_url", image_url: { url: "data:image/png;base64,AA==", detail: "low" } }] },
      {
        role: "assistant",
        content: "Looking.",
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q":"a"}' } },
          { id: "call_2", type: "function", function: { name: "lookup", arguments: '{"q":"b"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "A" },
      { role: "tool", tool_call_id: "call_2", content: "B" },
    ]);
  });

  it("tools, tool_choice, text.format, max_output_tokens, reasoning, sampling, metadata and user map over", () => {
    const schema = { type: "object", properties: { name: { type: "string" } } };
    const { chat } = translate({
      tools: [{ type: "function", name: "f", description: "d", parameters: schema, strict: true }],
      tool_choice: { type: "function", name: "f" },
      text: { format: { type: "json_schema", name: "person", schema, strict: true }, verbosity: "low" },
      max_output_tokens: 50,
      reasoning: { effort: "high", summary: "auto" },
      temperature: 0.5,
      top_p: 0.9,
      parallel_tool_calls: false,
      metadata: { k: "v" },
      safety_identifier: "u-1",
      stream: true,
    });
    expect(chat).toMatchObject({
      tools: [{ type: "function", function: { name: "f", description: "d", parameters: schema, strict: true } }],
      tool_choice: { type: "function", function: { name: "f" } },
      response_format: { type: "json_schema", json_schema: { name: "person", schema, strict: true } },
      max_tokens: 50,
      reasoning_effort: "high",
      temperature: 0.5,
      top_p: 0.9,
      parallel_tool_calls: false,
      metadata: { k: "v" },
      user: "u-1",
      stream: true,
    });
    expect(translate({ text: { format: { type: "json_object" } } }).chat.response_format).toEqual({ type: "json_object" });
  });

  it("allowed_tools narrows the tools and sets the mode", () => {
    const f = (name: string) => ({ type: "function", name, parameters: { type: "object" } });
    const { chat } = translate({ tools: [f("a"), f("b")], tool_choice: { type: "allowed_tools", mode: "required", tools: [{ type: "function", name: "b" }] } });
    expect(chat.tools?.map((t) => t.function.name)).toEqual(["b"]);
    expect(chat.tool_choice).toBe("required");
  });

  it("what only OpenAI can take is named; a request of nothing else plans with a stand-in", () => {
    expect(translate({ tools: [{ type: "web_search" }] }).openaiOnly).toBe("the web_search tool");
    expect(translate({ input: [{ role: "user", content: [{ type: "input_file", file_id: "file_1" }, { type: "input_text", text: "x" }] }] }).openaiOnly).toBe("input_file content");
    expect(translate({ input: [{ type: "computer_call_output", call_id: "c", output: {} }, { role: "user", content: "x" }] }).openaiOnly).toBe("computer_call_output items");
    expect(translate({ tool_choice: { type: "file_search" } }).openaiOnly).toBe("tool_choice file_search");
    const lone = translate({ input: [{ role: "user", content: [{ type: "input_file", file_id: "file_1" }] }] });
    expect(lone.openaiOnly).toBe("input_file content");
    expect(lone.chat.messages).toHaveLength(1);
  });

  it("earlier turns' records of OpenAI's own tools are dropped, not refused", () => {
    const { chat, openaiOnly } = translate({ input: [{ type: "web_search_call", id: "ws_1", status: "completed" }, { type: "reasoning", id: "rs_1", summary: [] }, { role: "user", content: "x" }] });
    expect(openaiOnly).toBeUndefined();
    expect(chat.messages).toEqual([{ role: "user", content: "x" }]);
  });
});

describe("upstreamBody", () => {
  it("a first turn goes up as sent, store off", () => {
    const r = req({ input: "hello", instructions: "i", include: ["x"] });
    expect(upstreamBody(r, { history: [], input: inputItems(r.input) })).toEqual({ model: "auto", input: "hello", instructions: "i", include: ["x"], store: false });
  });

  it("a continued turn carries the whole conversation and no previous_response_id; unreadable reasoning is left out", () => {
    const r = req({ input: [{ type: "item_reference", id: "msg_1" }, { role: "user", content: "again" }], previous_response_id: "resp_1" });
    const history: Item[] = [{ type: "message", role: "user", content: "first" }, { type: "reasoning", id: "rs_1", summary: [] }, { type: "reasoning", id: "rs_2", summary: [], encrypted_content: "e" }];
    const resolved: Item = { id: "msg_1", type: "message", role: "assistant", content: [{ type: "output_text", text: "ok" }] };
    const body = upstreamBody(r, { history, input: [resolved, { role: "user", content: "again" }] });
    expect(body).not.toHaveProperty("previous_response_id");
    expect(body.store).toBe(false);
    expect(body.input).toEqual([history[0], history[2], resolved, { role: "user", content: "again" }]);
  });
});

describe("ResponsesEncoder", () => {
  const parse = (sse: string) =>
    sse
      .split("\n\n")
      .filter(Boolean)
      .map((b) => JSON.parse(b.split("\n")[1]?.slice(6) ?? "{}") as Json);

  it("a text answer: the event sequence, sequence numbers, ids and indexes, then response.completed with the whole response", () => {
    const e = new ResponsesEncoder(responseShell(req(), "resp_1", 1, true));
    const sse = [chunk({ role: "assistant" }), chunk({ content: "Hel" }), chunk({ content: "lo" }), chunk({}, "stop"), chunk({}, null, { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 })].map((c) => e.encode(c)).join("") + e.end();
    const events = parse(sse);
    expect(events.map((x) => x.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events.map((x) => x.sequence_number)).toEqual(events.map((_, i) => i));
    const itemId = (events[2]?.item as Json).id;
    expect(events[4]).toMatchObject({ item_id: itemId, output_index: 0, content_index: 0, delta: "Hel" });
    expect(events[6]).toMatchObject({ text: "Hello" });
    expect(e.final).toMatchObject({ id: "resp_1", status: "completed", model: "local-model", usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 } });
    expect(e.final?.output).toEqual([{ id: itemId, type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", annotations: [], logprobs: [], text: "Hello" }] }]);
    expect(finalResponse(sse)).toEqual(JSON.parse(JSON.stringify(e.final)));
  });

  it("text then two calls: each item closed before the next opens; arguments streamed", () => {
    const e = new ResponsesEncoder(responseShell(req(), "resp_2", 1, true));
    const sse = [
      chunk({ content: "Let me look." }),
      chunk({ tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "f", arguments: '{"q":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"a"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "g", arguments: "{}" } }] }),
      chunk({}, "tool_calls"),
    ]
      .map((c) => e.encode(c))
      .join("") + e.end();
    const types = parse(sse).map((x) => `${String(x.type)}${x.output_index === undefined ? "" : `@${String(x.output_index)}`}`);
    expect(types.slice(2)).toEqual([
      "response.output_item.added@0",
      "response.content_part.added@0",
      "response.output_text.delta@0",
      "response.output_text.done@0",
      "response.content_part.done@0",
      "response.output_item.done@0",
      "response.output_item.added@1",
      "response.function_call_arguments.delta@1",
      "response.function_call_arguments.delta@1",
      "response.function_call_arguments.done@1",
      "response.output_item.done@1",
      "response.output_item.added@2",
      "response.function_call_arguments.delta@2",
      "response.function_call_arguments.done@2",
      "response.output_item.done@2",
      "response.completed",
    ]);
    expect(e.final?.output).toMatchObject([{ type: "message" }, { type: "function_call", call_id: "call_a", name: "f", arguments: '{"q":"a"}', status: "completed" }, { type: "function_call", call_id: "call_b", name: "g" }]);
  });

  it("a refusal is its own part; a length finish is response.incomplete", () => {
    const e = new ResponsesEncoder(responseShell(req(), "resp_3", 1, false));
    const sse = [chunk({ refusal: "No." }), chunk({}, "length")].map((c) => e.encode(c)).join("") + e.end();
    const types = parse(sse).map((x) => x.type);
    expect(types).toContain("response.refusal.delta");
    expect(types).toContain("response.refusal.done");
    expect(types.at(-1)).toBe("response.incomplete");
    expect(e.final).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, store: false });
  });
});

describe("toResponse", () => {
  it("a whole answer becomes one Response: a message and function calls, usage in the Responses API's terms", () => {
    const a = new CompletionBuilder();
    for (const c of [chunk({ content: "Hi" }), chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }] }), chunk({}, "tool_calls"), chunk({}, null, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 })]) a.add(c);
    const r = toResponse(a, responseShell(req({ instructions: "be" }), "resp_4", 1, true));
    expect(r).toMatchObject({ id: "resp_4", object: "response", status: "completed", instructions: "be", model: "local-model", usage: { input_tokens: 3, output_tokens: 4, total_tokens: 7 } });
    expect(r.output).toMatchObject([
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Hi" }] },
      { type: "function_call", call_id: "call_1", name: "f", arguments: "{}" },
    ]);
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import { CompletionBuilder } from "../../stream/answer.js";
import { bodyOf, nativeOf, type Chunk, type StreamItem } from "../../stream/chunks.js";
import { completeResponses, openResponses, ResponseChunks, responseEvents } from "./responses.js";
import { classifyError, UpstreamHttpError } from "./stream.js";

type Json = Record<string, unknown>;

const sse = (events: Json[]) => events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join("");
const response = (over: Json = {}) => ({ id: "resp_up", object: "response", created_at: 7, model: "gpt-x", status: "in_progress", store: false, previous_response_id: null, output: [], ...over });

const TEXT = [
  { type: "response.created", sequence_number: 0, response: response() },
  { type: "response.output_item.added", sequence_number: 1, output_index: 0, item: { id: "msg_1", type: "message", status: "in_progress", role: "assistant", content: [] } },
  { type: "response.output_text.delta", sequence_number: 2, item_id: "msg_1", output_index: 0, content_index: 0, delta: "Hi" },
  { type: "response.completed", sequence_number: 3, response: response({ status: "completed", usage: { input_tokens: 4, output_tokens: 1, total_tokens: 5 } }) },
];

function serve(body: string, status = 200) {
  const fetchMock = vi.fn(() => Promise.resolve(new Response(body, { status, headers: { "content-type": status === 200 ? "text/event-stream" : "application/json" } })));
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

afterEach(() => vi.unstubAllGlobals());

async function read(it: AsyncIterable<StreamItem>): Promise<{ chunks: Chunk[]; native: string }> {
  const chunks: Chunk[] = [];
  let native = "";
  for await (const item of it) {
    if (typeof item === "symbol") continue;
    chunks.push(...item);
    native += nativeOf(item) ?? "";
  }
  return { chunks, native };
}

const cfg = { apiKey: "k", baseURL: "http://up/v1/" };
const call = () => ({ signal: new AbortController().signal, requestId: "req-1" });
const native = { body: { model: "auto", input: "hi", store: false, tools: [{ type: "web_search" }] }, shown: { store: true, previous_response_id: "resp_prev" } };

describe("openResponses", () => {
  it("posts the client's body to /responses with the target's model and stream on", async () => {
    const fetchMock = serve(sse(TEXT));
    await read(await openResponses(cfg, "gpt-x", native, call()));
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("http://up/v1/responses");
    expect(JSON.parse(String(init.body))).toEqual({ ...native.body, model: "gpt-x", stream: true });
    expect((init.headers as Record<string, string>).authorization).toBe("Bearer k");
  });

  it("passes the events on as sent, the lifecycle events showing what the client asked for; reads text, the finish and usage", async () => {
    serve(sse(TEXT));
    const { chunks, native: text } = await read(await openResponses(cfg, "gpt-x", native, call()));
    const events = text.split("\n\n").filter(Boolean).map((b) => JSON.parse(b.split("\n")[1]?.slice(6) ?? "{}") as Json);
    expect(events.map((e) => e.type)).toEqual(TEXT.map((e) => e.type));
    expect(events[0]?.response).toMatchObject({ store: true, previous_response_id: "resp_prev" });
    expect(events[2]).toEqual(TEXT[2]);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? null).filter(Boolean)).toEqual(["Hi"]);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 });
  });

  it("an error event mid-stream is thrown with the status its type stands for; so is a failed response", async () => {
    serve(sse([TEXT[0] as Json, { type: "error", sequence_number: 1, code: "rate_limit_exceeded", message: "slow down", param: null }]));
    const err = await read(await openResponses(cfg, "gpt-x", native, call())).catch((e: unknown) => e);
    expect(classifyError(err)).toMatchObject({ kind: "http", status: 429, message: "slow down" });
    serve(sse([TEXT[0] as Json, { type: "response.failed", sequence_number: 1, response: response({ status: "failed", error: { code: "server_error", message: "boom" } }) }]));
    const failed = await read(await openResponses(cfg, "gpt-x", native, call())).catch((e: unknown) => e);
    expect(classifyError(failed)).toMatchObject({ kind: "http", status: 500, message: "boom" });
  });

  it("a stream that ends before its final event is a dropped connection; an HTTP error keeps its status", async () => {
    serve(sse(TEXT.slice(0, 3)));
    const cut = await read(await openResponses(cfg, "gpt-x", native, call())).catch((e: unknown) => e);
    expect(classifyError(cut).kind).toBe("connection");
    serve(JSON.stringify({ error: { message: "bad input", type: "invalid_request_error" } }), 400);
    const bad = await openResponses(cfg, "gpt-x", native, call()).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(UpstreamHttpError);
    expect(classifyError(bad)).toMatchObject({ kind: "http", status: 400, message: "bad input" });
  });
});

describe("ResponseChunks", () => {
  it("function calls become tool call chunks by output index; the finish is tool_calls", () => {
    const t = new ResponseChunks();
    const chunks = [
      TEXT[0],
      { type: "response.output_item.added", output_index: 0, item: { type: "reasoning", id: "rs_1", summary: [] } },
      { type: "response.output_item.added", output_index: 1, item: { type: "function_call", id: "fc_1", call_id: "call_1", name: "f", arguments: "" } },
      { type: "response.function_call_arguments.delta", output_index: 1, delta: '{"a":1}' },
      { type: "response.completed", response: response({ status: "completed" }) },
    ].flatMap((e) => t.translate(e as Json));
    expect(chunks[0]?.choices[0]?.delta.tool_calls).toEqual([{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "" } }]);
    expect(chunks[1]?.choices[0]?.delta.tool_calls).toEqual([{ index: 0, function: { arguments: '{"a":1}' } }]);
    expect(chunks[2]?.choices[0]?.finish_reason).toBe("tool_calls");
    expect(chunks[0]).toMatchObject({ id: "resp_up", model: "gpt-x", created: 7 });
  });

  it("an incomplete response finishes as length (content_filter as itself)", () => {
    const end = (reason: string) => new ResponseChunks().translate({ type: "response.incomplete", response: response({ status: "incomplete", incomplete_details: { reason } }) })[0]?.choices[0]?.finish_reason;
    expect(end("max_output_tokens")).toBe("length");
    expect(end("content_filter")).toBe("content_filter");
  });
});

describe("a Response fetched whole (completeResponses)", () => {
  const whole = response({
    status: "completed",
    output: [
      { id: "rs_1", type: "reasoning", summary: [] },
      { id: "msg_1", type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: "Hello ", annotations: [] }, { type: "output_text", text: "world", annotations: [] }] },
      { id: "fc_1", type: "function_call", status: "completed", call_id: "call_1", name: "lookup", arguments: '{"q":1}' },
    ],
    usage: { input_tokens: 9, output_tokens: 3, total_tokens: 12 },
  });

  it("is the same chat answer its stream would give, and the body shows what the client asked for", async () => {
    const fetchMock = vi.fn(() => Promise.resolve(new Response(JSON.stringify(whole), { status: 200, headers: { "content-type": "application/json" } })));
    vi.stubGlobal("fetch", fetchMock);
    const batch = await completeResponses(cfg, "gpt-x", native, call());
    const b = new CompletionBuilder();
    for (const c of batch) b.add(c);
    expect(b.text).toBe("Hello world");
    expect(b.calls).toEqual([{ id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q":1}' } }]);
    expect(b.finish).toBe("tool_calls");
    expect(b.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 3 });
    const body = JSON.parse(bodyOf(batch) ?? "{}") as Json;
    expect(body).toMatchObject({ id: "resp_up", store: true, previous_response_id: "resp_prev" });
    const sent = JSON.parse(String((fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1].body)) as Json;
    expect(sent).toMatchObject({ model: "gpt-x", stream: false, store: false });
  });

  it("throws a failed Response as the executor's failure, and an incomplete one ends as length", async () => {
    serve(JSON.stringify(response({ status: "failed", error: { code: "server_error", message: "boom" } })));
    const err: unknown = await completeResponses(cfg, "gpt-x", native, call()).catch((e: unknown) => e);
    expect(classifyError(err)).toMatchObject({ kind: "http", status: 500 });
    const chunks = responseEvents(response({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, output: [] })).flatMap((e) => new ResponseChunks().translate(e));
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe("length");
  });
});

/**
 * A protocol-faithful fake of Anthropic's Messages API (`POST /v1/messages`): the same auth headers,
 * validation errors, JSON shapes and SSE event sequence as the real API, answering with the
 * deterministic `fakeReply` model from the harness.
 */
import type { ServerResponse } from "node:http";
import { fakeReply, pieces, sseWriter, startFake, type Fault, type FakeReply, type FakeServer } from "./harness.js";

export interface FakeAnthropicOptions {
  /** Port to listen on. Default: 0 (any free port). */
  port?: number;
  /** The only key accepted, in `x-api-key` or `Authorization: Bearer`. Default: "test-anthropic-key". */
  apiKey?: string;
}

export interface FakeAnthropic extends FakeServer {
  apiKey: string;
}

type Json = Record<string, unknown>;

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

/** API version 2026-10-21 (what SDK 1.x sends) refuses every sampling parameter, even at its default. */
const SAMPLING_PARAMS = ["temperature", "top_p", "top_k"];

class InvalidRequest extends Error {}

function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new InvalidRequest(message);
}

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const tokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

function blocksOf(content: unknown): Json[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? content.filter(isObject) : [];
}

function textOf(content: unknown): string {
  return blocksOf(content)
    .filter((b) => b.type === "text" && typeof b.text === "string")
    .map((b) => String(b.text))
    .join("");
}

/** Checks one message's blocks; returns the ids of the tool_use blocks it holds. */
function validateBlocks(m: Json, at: string, openToolUses: ReadonlySet<string>): Set<string> {
  const toolUses = new Set<string>();
  blocksOf(m.content).forEach((b, j) => {
    const where = `${at}.content.${j}`;
    if (b.type === "text") {
      check(typeof b.text === "string" && b.text !== "", `${where}: text content blocks must be non-empty`);
    }
    if (b.type === "tool_result") {
      check(m.role === "user", `${where}: tool_result blocks are only allowed in user messages`);
      const id = String(b.tool_use_id);
      check(openToolUses.has(id), `${where}: unexpected tool_use_id found in tool_result blocks: ${id}`);
    }
    if (b.type === "tool_use") {
      check(m.role === "assistant", `${where}: tool_use blocks are only allowed in assistant messages`);
      check(isObject(b.input), `${where}.input: Input should be an object`);
      toolUses.add(String(b.id));
    }
  });
  return toolUses;
}

/** Roles alternate from user; every tool_use is answered by a tool_result in the very next message. */
function validateMessages(messages: unknown): void {
  check(Array.isArray(messages) && messages.length > 0, "messages: at least one message is required");
  let openToolUses = new Set<string>();
  let previousRole: unknown = "assistant";
  messages.forEach((m: unknown, i) => {
    const at = `messages.${i}`;
    check(isObject(m), `${at}: Input should be an object`);
    check(m.role === "user" || m.role === "assistant", `${at}.role: Input should be 'user' or 'assistant'`);
    check(i > 0 || m.role === "user", 'messages: first message must use the "user" role');
    check(m.role !== previousRole, 'messages: roles must alternate between "user" and "assistant"');
    const content = m.content;
    check(
      typeof content === "string" || (Array.isArray(content) && content.length > 0),
      `${at}.content: must be a string or a non-empty list of content blocks`,
    );
    const answered = new Set(blocksOf(content).filter((b) => b.type === "tool_result").map((b) => String(b.tool_use_id)));
    const missing = [...openToolUses].filter((id) => !answered.has(id));
    check(missing.length === 0, `${at}: tool_use ids were found without tool_result blocks immediately after: ${missing}`);
    openToolUses = validateBlocks(m, at, openToolUses);
    previousRole = m.role;
  });
}

function validateTools(body: Json): void {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  tools.forEach((t: unknown, i) => {
    const ok = isObject(t) && typeof t.name === "string" && isObject(t.input_schema) && t.input_schema.type === "object";
    check(ok, `tools.${i}: a name and an input_schema of type "object" are required`);
  });
  const choice = body.tool_choice;
  if (choice === undefined) return;
  check(isObject(choice), "tool_choice: Input should be an object");
  check(tools.length > 0, "tool_choice: may only be specified while providing tools");
  if (choice.type === "tool") {
    const known = tools.some((t: unknown) => isObject(t) && t.name === choice.name);
    check(known, `tool_choice: tool '${String(choice.name)}' not found in tools`);
  }
}

function validate(body: unknown, version: string): Json {
  check(isObject(body), "request body must be a JSON object");
  check(typeof body.model === "string" && body.model !== "", "model: Field required");
  check(Number.isInteger(body.max_tokens) && Number(body.max_tokens) >= 1, "max_tokens: must be a positive integer");
  if (version !== "2023-06-01") {
    for (const p of SAMPLING_PARAMS) check(!(p in body), `${p}: Extra inputs are not permitted`);
  }
  const system = body.system;
  const systemOk = system === undefined || typeof system === "string" || Array.isArray(system);
  check(systemOk, "system: Input should be a string or a list of text blocks");
  validateMessages(body.messages);
  validateTools(body);
  return body;
}

interface Answer {
  reply: FakeReply;
  stopReason: "end_turn" | "tool_use" | "stop_sequence" | "max_tokens";
  stopSequence: string | null;
  inputTokens: number;
  outputTokens: number;
}

function runModel(body: Json): FakeReply {
  const messages = Array.isArray(body.messages) ? body.messages.filter(isObject) : [];
  const lastUser = messages.findLast((m) => m.role === "user");
  const lastResult = blocksOf(lastUser?.content).findLast((b) => b.type === "tool_result");
  const toolResult = lastResult && textOf(lastResult.content);
  const tools = Array.isArray(body.tools) ? body.tools.filter(isObject).map((t) => ({ name: String(t.name) })) : [];
  const choice = isObject(body.tool_choice) ? body.tool_choice : {};
  const forced = choice.type === "tool" ? String(choice.name) : undefined;
  return fakeReply(textOf(lastUser?.content), tools, toolResult, forced, choice.type === "none");
}

/** Runs the deterministic model, then applies stop_sequences and max_tokens the way the API does. */
function answer(body: Json): Answer {
  const reply = runModel(body);
  const inputTokens = tokens(JSON.stringify([body.system ?? "", body.messages, body.tools ?? []]));
  if ("toolCall" in reply) {
    const outputTokens = tokens(reply.toolCall.arguments);
    return { reply, stopReason: "tool_use", stopSequence: null, inputTokens, outputTokens };
  }
  let text = reply.text;
  let stopReason: Answer["stopReason"] = "end_turn";
  let stopSequence: string | null = null;
  for (const seq of Array.isArray(body.stop_sequences) ? body.stop_sequences.map(String) : []) {
    const at = text.indexOf(seq);
    if (seq && at >= 0) [text, stopReason, stopSequence] = [text.slice(0, at), "stop_sequence", seq];
  }
  const cap = Number(body.max_tokens) * 4;
  if (text.length > cap) [text, stopReason, stopSequence] = [text.slice(0, cap), "max_tokens", null];
  return { reply: { text }, stopReason, stopSequence, inputTokens, outputTokens: tokens(text) };
}

interface Ids {
  request: string;
  message: string;
  tool: string;
}

function writeError(res: ServerResponse, status: number, message: string, requestId: string, retryAfter?: string): void {
  const headers: Record<string, string> = { "content-type": "application/json", "request-id": requestId };
  if (retryAfter !== undefined) headers["retry-after"] = retryAfter;
  res.writeHead(status, headers);
  const type = ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  res.end(JSON.stringify({ type: "error", error: { type, message }, request_id: requestId }));
}

const usage = (input: number, output: number): Json => ({
  input_tokens: input,
  output_tokens: output,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
});

/** With `thinking: {type: "enabled"}`, the answer opens with a thinking block, signed as the API signs it. */
export const FAKE_THINKING = "Let me think about that.";
const signatureOf = (ids: Ids) => `sig_${ids.message}_${Buffer.from(FAKE_THINKING).toString("base64")}`;
const thinks = (body: Json) => isObject(body.thinking) && body.thinking.type === "enabled";

function messageJson(model: unknown, a: Answer, ids: Ids, thinking = false): Json {
  const call = "toolCall" in a.reply ? a.reply.toolCall : undefined;
  const block = call
    ? { type: "tool_use", id: ids.tool, name: call.name, input: JSON.parse(call.arguments) as unknown }
    : { type: "text", text: "text" in a.reply ? a.reply.text : "" };
  return {
    id: ids.message,
    type: "message",
    role: "assistant",
    model,
    content: thinking ? [{ type: "thinking", thinking: FAKE_THINKING, signature: signatureOf(ids) }, block] : [block],
    stop_reason: a.stopReason,
    stop_sequence: a.stopSequence,
    usage: usage(a.inputTokens, a.outputTokens),
  };
}

/** The event sequence the real API sends, with the text (or tool arguments) in several pieces. */
function streamEvents(model: unknown, a: Answer, ids: Ids, thinking = false): Json[] {
  const message = {
    ...messageJson(model, a, ids),
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: usage(a.inputTokens, 1),
  };
  const text = "text" in a.reply ? a.reply.text : undefined;
  const call = "toolCall" in a.reply ? a.reply.toolCall : undefined;
  const block = call ? { type: "tool_use", id: ids.tool, name: call.name, input: {} } : { type: "text", text: "" };
  // The real API opens a tool_use block with an empty partial_json before the pieces.
  const deltas = call
    ? ["", ...pieces(call.arguments, 7)].map((partial_json) => ({ type: "input_json_delta", partial_json }))
    : pieces(text ?? "").map((piece) => ({ type: "text_delta", text: piece }));
  const at = thinking ? 1 : 0;
  const think: Json[] = thinking
    ? [
        { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } },
        ...pieces(FAKE_THINKING, 6).map((t) => ({ type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: t } })),
        { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: signatureOf(ids) } },
        { type: "content_block_stop", index: 0 },
      ]
    : [];
  return [
    { type: "message_start", message },
    ...think,
    { type: "content_block_start", index: at, content_block: block },
    { type: "ping" },
    ...deltas.map((delta) => ({ type: "content_block_delta", index: at, delta })),
    { type: "content_block_stop", index: at },
    {
      type: "message_delta",
      delta: { stop_reason: a.stopReason, stop_sequence: a.stopSequence },
      usage: { output_tokens: a.outputTokens },
    },
    { type: "message_stop" },
  ];
}

async function writeStream(res: ServerResponse, fault: Fault | undefined, events: Json[], requestId: string): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "request-id": requestId });
  const send = sseWriter(res, fault);
  for (const event of events) {
    if (!send(JSON.stringify(event), String(event.type))) return;
    // One event at a time, as from a generating model; this also lets written events reach the
    // client before a `cut` fault destroys the socket.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  res.end();
}

function writeMessage(res: ServerResponse, fault: Fault | undefined, message: Json, requestId: string): void {
  const body = JSON.stringify(message);
  res.writeHead(200, { "content-type": "application/json", "request-id": requestId });
  // A cut on a plain response breaks the body halfway, as a dropped connection would.
  if (fault?.type === "cut") res.write(body.slice(0, body.length / 2), () => res.socket?.destroy());
  else res.end(body);
}

export async function startFakeAnthropic(opts: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const apiKey = opts.apiKey ?? "test-anthropic-key";
  let count = 0;
  const server = await startFake(async ({ req, res, body, fault }) => {
    const n = ++count;
    const ids: Ids = { request: `req_fake_${n}`, message: `msg_fake_${n}`, tool: `toolu_fake_${n}` };
    const fail = (status: number, message: string, retryAfter?: string) =>
      writeError(res, status, message, ids.request, retryAfter);
    const path = req.url?.split("?")[0];
    if (req.method !== "POST" || (path !== "/v1/messages" && path !== "/v1/messages/count_tokens")) return fail(404, "Not found");
    if (fault?.type === "status") return fail(fault.status, fault.message ?? `fake ${fault.status}`, fault.retryAfter);
    // Like the API: x-api-key wins when both headers are sent (SDK 1.x sends Authorization: Bearer).
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if ((req.headers["x-api-key"] ?? bearer) !== apiKey) return fail(401, "invalid x-api-key");
    const version = req.headers["anthropic-version"];
    if (typeof version !== "string" || version === "") return fail(400, "anthropic-version: header is required");
    let valid: Json;
    try {
      // count_tokens takes the same body without max_tokens.
      valid = validate(path === "/v1/messages/count_tokens" && isObject(body) ? { max_tokens: 1, ...body } : body, version);
    } catch (err) {
      if (err instanceof InvalidRequest) return fail(400, err.message);
      throw err;
    }
    const a = answer(valid);
    if (path === "/v1/messages/count_tokens") {
      res.writeHead(200, { "content-type": "application/json", "request-id": ids.request });
      return void res.end(JSON.stringify({ input_tokens: a.inputTokens }));
    }
    if (valid.stream === true) return writeStream(res, fault, streamEvents(valid.model, a, ids, thinks(valid)), ids.request);
    writeMessage(res, fault, messageJson(valid.model, a, ids, thinks(valid)), ids.request);
  }, opts.port);
  return { ...server, apiKey };
}

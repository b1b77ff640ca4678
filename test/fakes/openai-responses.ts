/**
 * POST /v1/responses of the fake OpenAI: the Responses API as openai 6.30.1's types describe it — the
 * Response object, output items (`message` with `output_text` parts, `function_call`), usage, and the
 * streaming event sequence with `sequence_number`, `output_index`, `item_id` and `content_index`:
 *
 *   response.created, response.in_progress,
 *   per message: output_item.added, content_part.added, output_text.delta…, output_text.done,
 *                content_part.done, output_item.done
 *   per call:    output_item.added, function_call_arguments.delta…, function_call_arguments.done, output_item.done
 *   response.completed (or response.incomplete when max_output_tokens cut the answer)
 *
 * The same deterministic `fakeReply` model as the chat fake. `text.format` json_schema / json_object
 * answers JSON (each top-level property of the schema filled from the last user text). It keeps
 * nothing: a `previous_response_id` or an `item_reference` is refused as the real API refuses an
 * unknown one, a reasoning item without encrypted content as the real API refuses it under
 * `store: false`, and a function_call_output whose call is not in the input as the real API does —
 * so a gateway that expands conversations itself is held to sending them whole.
 */
import type { ServerResponse } from "node:http";
import { fakeReply, pieces, sseWriter, type Fault, type FakeReply } from "./harness.js";

type Json = Record<string, unknown>;
type Send = (res: ServerResponse, status: number, message: string, extra?: { param?: string; code?: string }) => void;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const tokens = (s: string) => Math.max(1, Math.ceil(s.length / 4));

let counter = 0;
const hex = () => `${Date.now().toString(16)}${(++counter).toString(16).padStart(8, "0")}`;

/** A message's or an output's content as text (text parts joined). */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p: unknown) => (isObject(p) && typeof p.text === "string" ? p.text : "")).join("");
}

/** `input` as a list of items: a string is one user message. */
function itemsOf(input: unknown): Json[] {
  if (typeof input === "string") return [{ type: "message", role: "user", content: input }];
  return Array.isArray(input) ? input.filter(isObject) : [];
}

const itemType = (item: Json) => (typeof item.type === "string" ? item.type : "message");

class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param?: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** What the real API refuses when it has no stored state to draw on. */
function validate(body: Json): Json[] {
  if (typeof body.model !== "string" || body.model === "") throw new Refused(400, "Missing required parameter: 'model'.", "model", "missing_required_parameter");
  if (typeof body.previous_response_id === "string") {
    throw new Refused(400, `Previous response with id '${body.previous_response_id}' not found.`, "previous_response_id", "previous_response_not_found");
  }
  const items = itemsOf(body.input);
  if (items.length === 0) throw new Refused(400, "Missing required parameter: 'input'.", "input", "missing_required_parameter");
  const calls = new Set<string>();
  items.forEach((item, i) => {
    const type = itemType(item);
    if (type === "item_reference") throw new Refused(404, `Item with id '${String(item.id)}' not found.`, `input[${i}]`);
    if (type === "reasoning" && typeof item.encrypted_content !== "string" && body.store === false) {
      throw new Refused(404, `Item with id '${String(item.id)}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`, "input");
    }
    if (type === "function_call") calls.add(String(item.call_id));
    if (type === "function_call_output" && !calls.has(String(item.call_id))) {
      throw new Refused(400, `No tool call found for function call output with call_id ${String(item.call_id)}.`, "input");
    }
  });
  return items;
}

/** A value for each top-level property of a JSON schema, from the last user text. */
function fillSchema(schema: unknown, text: string): Json {
  const props = isObject(schema) && isObject(schema.properties) ? schema.properties : {};
  const out: Json = {};
  for (const [name, p] of Object.entries(props)) {
    const type = isObject(p) ? p.type : undefined;
    out[name] = type === "number" || type === "integer" ? 0 : type === "boolean" ? false : type === "array" ? [] : type === "object" ? {} : text;
  }
  return out;
}

function runModel(body: Json, items: Json[]): FakeReply {
  const lastUser = items.findLast((m) => itemType(m) === "message" && m.role === "user");
  const userText = textOf(lastUser?.content);
  const last = items[items.length - 1];
  const toolResult = last && itemType(last) === "function_call_output" ? textOf(last.output) : undefined;
  const tools = (Array.isArray(body.tools) ? body.tools.filter(isObject) : []).filter((t) => t.type === "function").map((t) => ({ name: String(t.name) }));
  const choice = body.tool_choice;
  const forced = isObject(choice) && choice.type === "function" ? String(choice.name) : undefined;
  const reply = fakeReply(userText, tools, toolResult, forced, choice === "none");
  const format = isObject(body.text) && isObject(body.text.format) ? body.text.format : undefined;
  if (!("text" in reply) || !format) return reply;
  if (format.type === "json_schema") return { text: JSON.stringify(fillSchema(format.schema, userText)) };
  if (format.type === "json_object") return { text: JSON.stringify({ echo: userText }) };
  return reply;
}

interface Answer {
  response: Json;
  /** The output items as they are when each is added (in progress, empty). */
  started: Json[];
  /** The text of each output item, streamed in pieces (message text, call arguments). */
  texts: string[];
}

/** The Response object fields that echo the request, as the API fills them. */
function echo(body: Json, id: string, createdAt: number): Json {
  return {
    id,
    object: "response",
    created_at: createdAt,
    status: "in_progress",
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: null,
    model: body.model,
    output: [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: null,
    prompt_cache_key: null,
    reasoning: { effort: null, summary: null, ...(isObject(body.reasoning) ? body.reasoning : {}) },
    safety_identifier: null,
    service_tier: "default",
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: { type: "text" }, verbosity: "medium", ...(isObject(body.text) ? body.text : {}) },
    tool_choice: body.tool_choice ?? "auto",
    tools: Array.isArray(body.tools) ? body.tools.map((t: unknown) => (isObject(t) && t.type === "function" ? { strict: true, description: null, ...t } : t)) : [],
    top_logprobs: 0,
    top_p: body.top_p ?? 1,
    truncation: "disabled",
    usage: null,
    user: null,
    metadata: isObject(body.metadata) ? body.metadata : {},
  };
}

function answer(body: Json, items: Json[]): Answer {
  const reply = runModel(body, items);
  const createdAt = Math.floor(Date.now() / 1000);
  const response = echo(body, `resp_fake${hex()}`, createdAt);
  const inputTokens = tokens(JSON.stringify([body.instructions ?? "", items, body.tools ?? []]));
  const max = typeof body.max_output_tokens === "number" ? body.max_output_tokens : Infinity;
  let started: Json[];
  let done: Json[];
  let texts: string[];
  let outputTokens: number;
  let incomplete = false;
  if ("toolCall" in reply) {
    const base = { id: `fc_fake${hex()}`, type: "function_call", call_id: `call_fake${counter}`, name: reply.toolCall.name };
    started = [{ ...base, status: "in_progress", arguments: "" }];
    done = [{ ...base, status: "completed", arguments: reply.toolCall.arguments }];
    texts = [reply.toolCall.arguments];
    outputTokens = tokens(reply.toolCall.arguments);
  } else {
    incomplete = tokens(reply.text) > max;
    const text = incomplete ? reply.text.slice(0, max * 4) : reply.text;
    const base = { id: `msg_fake${hex()}`, type: "message", role: "assistant" };
    started = [{ ...base, status: "in_progress", content: [] }];
    done = [{ ...base, status: incomplete ? "incomplete" : "completed", content: [{ type: "output_text", annotations: [], logprobs: [], text }] }];
    texts = [text];
    outputTokens = incomplete ? max : tokens(text);
  }
  Object.assign(response, {
    status: incomplete ? "incomplete" : "completed",
    ...(incomplete ? { incomplete_details: { reason: "max_output_tokens" } } : { completed_at: Math.floor(Date.now() / 1000) }),
    output: done,
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    },
  });
  return { response, started, texts };
}

/** The event sequence of one answer, each event as `[type, data]`, sequence numbers in order. */
export function responseEvents(a: Answer): [string, Json][] {
  const out: [string, Json][] = [];
  const emit = (type: string, data: Json) => out.push([type, { type, sequence_number: out.length, ...data }]);
  const final = a.response;
  const output = final.output as Json[];
  emit("response.created", { response: { ...final, status: "in_progress", output: [], usage: null, incomplete_details: null, completed_at: undefined } });
  emit("response.in_progress", { response: { ...final, status: "in_progress", output: [], usage: null, incomplete_details: null, completed_at: undefined } });
  a.started.forEach((item, output_index) => {
    const done = output[output_index] as Json;
    const text = a.texts[output_index] ?? "";
    const item_id = String(item.id);
    emit("response.output_item.added", { output_index, item });
    if (item.type === "message") {
      const part = { type: "output_text", annotations: [], logprobs: [], text: "" };
      emit("response.content_part.added", { item_id, output_index, content_index: 0, part });
      for (const delta of pieces(text)) if (delta) emit("response.output_text.delta", { item_id, output_index, content_index: 0, delta, logprobs: [] });
      emit("response.output_text.done", { item_id, output_index, content_index: 0, text, logprobs: [] });
      emit("response.content_part.done", { item_id, output_index, content_index: 0, part: { ...part, text } });
    } else {
      for (const delta of pieces(text, 6)) if (delta) emit("response.function_call_arguments.delta", { item_id, output_index, delta });
      emit("response.function_call_arguments.done", { item_id, output_index, name: item.name, arguments: text });
    }
    emit("response.output_item.done", { output_index, item: done });
  });
  emit(final.status === "incomplete" ? "response.incomplete" : "response.completed", { response: final });
  return out;
}

export function responses(res: ServerResponse, body: unknown, fault: Fault | undefined, send: Send): void {
  if (!isObject(body)) return send(res, 400, "We could not parse the JSON body of your request.");
  let items: Json[];
  try {
    items = validate(body);
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    return send(res, err.status, err.message, { ...(err.param ? { param: err.param } : {}), ...(err.code ? { code: err.code } : {}) });
  }
  const a = answer(body, items);
  if (body.stream !== true) {
    res.writeHead(200, { "content-type": "application/json", "x-request-id": `req_${counter}` });
    res.end(JSON.stringify(a.response));
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "x-request-id": `req_${counter}` });
  const write = sseWriter(res, fault);
  for (const [type, data] of responseEvents(a)) if (!write(JSON.stringify(data), type)) return;
  res.end();
}

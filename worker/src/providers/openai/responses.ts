/**
 * OpenAI's Responses API spoken natively, for a client that speaks it too (POST /v1/responses served
 * by OpenAI): the client's own body goes up to {OPENAI_BASE_URL}/responses with its model set to the
 * target's and `stream: true` (every attempt streams). Hearth keeps the conversation itself, so the
 * body arrives with any `previous_response_id` already expanded into `input` and `store: false` (see
 * responses/conversation.ts). The events come back as they were sent, except that the response
 * objects of the lifecycle events show the `store` and `previous_response_id` the client asked for.
 *
 * Each network read's events become one batch that carries their SSE text (what the client gets) and
 * their translation into chat chunks (what Hearth reads: when the answer began, finished, its usage).
 * An `error` event or `response.failed` is thrown, so the executor retries or moves on as for any
 * failure before the answer began, and ends the stream with an error after.
 */
import type { EventSourceMessage } from "eventsource-parser";
import { withBody, type Chunk, type StreamItem } from "../../stream/chunks.js";
import { NativeBatch, sseBatches } from "../sse-body.js";
import type { CloudCall, ProviderConfig } from "../types.js";
import { endpoint, httpError, UpstreamStreamError } from "./stream.js";


type Json = Record<string, unknown>;

/** What the client sent that goes up, and what its events should show of it. */
export interface NativeResponses {
  /** The body to send (model and stream are set per attempt). */
  body: Json;
  /** Shown in the response objects of the lifecycle events instead of what went upstream. */
  shown: { store: boolean; previous_response_id: string | null };
}

const LIFECYCLE: ReadonlySet<string> = new Set(["response.created", "response.in_progress", "response.queued", "response.completed", "response.incomplete"]);
const TERMINAL: ReadonlySet<string> = new Set(["response.completed", "response.incomplete"]);

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The Responses API's events → chat chunks: text, refusals, function calls, the finish and usage. */
export class ResponseChunks {
  #id = "";
  #model = "";
  #created = Math.floor(Date.now() / 1000);
  /** output_index of a function call → its chat tool call index. */
  readonly #calls = new Map<number, number>();

  #chunk(delta: Json, finish: string | null = null): Chunk {
    return { id: this.#id, object: "chat.completion.chunk", created: this.#created, model: this.#model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] } as Chunk;
  }

  translate(e: Json): Chunk[] {
    switch (e.type) {
      case "response.created": {
        const r = isObject(e.response) ? e.response : {};
        this.#id = String(r.id ?? "");
        this.#model = String(r.model ?? "");
        if (typeof r.created_at === "number") this.#created = r.created_at;
        return [];
      }
      case "response.output_text.delta":
        return [this.#chunk({ content: String(e.delta ?? "") })];
      case "response.refusal.delta":
        return [this.#chunk({ refusal: String(e.delta ?? "") })];
      case "response.output_item.added": {
        const item = isObject(e.item) ? e.item : {};
        if (item.type !== "function_call") return [];
        const index = this.#calls.size;
        this.#calls.set(Number(e.output_index), index);
        const fn = { name: String(item.name ?? ""), arguments: String(item.arguments ?? "") };
        return [this.#chunk({ tool_calls: [{ index, id: String(item.call_id ?? ""), type: "function", function: fn }] })];
      }
      case "response.function_call_arguments.delta": {
        const index = this.#calls.get(Number(e.output_index));
        return index === undefined ? [] : [this.#chunk({ tool_calls: [{ index, function: { arguments: String(e.delta ?? "") } }] })];
      }
      case "response.completed":
      case "response.incomplete":
        return this.#end(e);
      default:
        return [];
    }
  }

  #end(e: Json): Chunk[] {
    const r = isObject(e.response) ? e.response : {};
    const reason = isObject(r.incomplete_details) ? r.incomplete_details.reason : undefined;
    const finish = e.type === "response.incomplete" ? (reason === "content_filter" ? "content_filter" : "length") : this.#calls.size > 0 ? "tool_calls" : "stop";
    const u = isObject(r.usage) ? r.usage : {};
    const prompt = Number(u.input_tokens ?? 0);
    const completion = Number(u.output_tokens ?? 0);
    const usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    return [this.#chunk({}, finish), { ...this.#chunk({}), choices: [], usage }];
  }
}

/** An `error` event or a failed response, as the error the executor classifies (its type says which status it stands for). */
function failure(e: Json): UpstreamStreamError {
  if (e.type === "response.failed") {
    const err = isObject(e.response) && isObject(e.response.error) ? e.response.error : {};
    return new UpstreamStreamError(typeof err.code === "string" ? err.code : undefined, String(err.message ?? "OpenAI reported the response failed"));
  }
  const err = isObject(e.error) ? e.error : e;
  const type = typeof err.type === "string" && err.type !== "error" ? err.type : typeof err.code === "string" ? err.code : undefined;
  return new UpstreamStreamError(type, String(err.message ?? "OpenAI sent an error mid-stream"));
}

async function* events(body: ReadableStream<Uint8Array>, shown: NativeResponses["shown"]): AsyncGenerator<StreamItem> {
  const translate = new ResponseChunks();
  // Events with no chat counterpart (created, a reasoning summary) still go out, in a batch with no chunk.
  const batch = new NativeBatch();
  let ended = false;
  const onEvent = (ev: EventSourceMessage) => {
    if (ended) return;
    const e = JSON.parse(ev.data) as Json;
    const type = String(e.type ?? ev.event ?? "");
    if (type === "error" || type === "response.failed") throw failure(e);
    let data = ev.data;
    if (LIFECYCLE.has(type) && isObject(e.response)) {
      Object.assign(e.response, shown);
      data = JSON.stringify(e);
    }
    batch.add(ev.event ?? type, data, translate.translate(e));
    ended = TERMINAL.has(type);
  };
  yield* sseBatches(body, onEvent, batch.take);
  if (!ended) throw new TypeError("OpenAI's event stream ended before the response completed");
}

/** A whole Response replayed as the events of its stream that carry what chat reads: text, refusals, function calls, the end. */
export function responseEvents(r: Json): Json[] {
  const events: Json[] = [{ type: "response.created", response: r }];
  const output = Array.isArray(r.output) ? (r.output as unknown[]).filter(isObject) : [];
  output.forEach((item, output_index) => {
    if (item.type === "function_call") events.push({ type: "response.output_item.added", output_index, item });
    if (item.type !== "message" || !Array.isArray(item.content)) return;
    for (const part of (item.content as unknown[]).filter(isObject)) {
      if (part.type === "output_text") events.push({ type: "response.output_text.delta", output_index, delta: part.text });
      if (part.type === "refusal") events.push({ type: "response.refusal.delta", output_index, delta: part.refusal });
    }
  });
  events.push({ type: r.status === "incomplete" ? "response.incomplete" : "response.completed", response: r });
  return events;
}

/**
 * The whole Response (a client that does not stream): OpenAI's JSON, showing the `store` and
 * `previous_response_id` the client asked for, beside its chat chunks. A failed response is thrown,
 * as a failed stream is.
 */
export async function completeResponses(cfg: ProviderConfig, model: string, native: NativeResponses, call: CloudCall): Promise<Chunk[]> {
  const { url, headers } = endpoint(cfg, "/responses", call.requestId);
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify({ ...native.body, model, stream: false }), signal: call.signal });
  if (!res.ok) throw await httpError(res);
  const r = JSON.parse(await res.text()) as Json;
  if (r.status === "failed" || isObject(r.error)) throw failure({ type: "response.failed", response: r });
  Object.assign(r, native.shown);
  const translate = new ResponseChunks();
  return withBody(responseEvents(r).flatMap((e) => translate.translate(e)), JSON.stringify(r));
}

export async function openResponses(cfg: ProviderConfig, model: string, native: NativeResponses, call: CloudCall): Promise<AsyncIterable<StreamItem>> {
  const { url, headers } = endpoint(cfg, "/responses", call.requestId);
  const res = await fetch(url, {
    method: "POST",
    headers: { ...headers, accept: "text/event-stream" },
    body: JSON.stringify({ ...native.body, model, stream: true }),
    signal: call.signal,
  });
  if (!res.ok) throw await httpError(res);
  if (!res.body) throw new TypeError("OpenAI answered without a body");
  return events(res.body, native.shown);
}

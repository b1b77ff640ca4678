/**
 * An answer in OpenAI's chat shape (from home or Anthropic) → the Responses API: the streaming event
 * sequence as OpenAI sends it, and for a non-streaming client one Response object.
 *
 *   response.created, response.in_progress,
 *   a message: output_item.added, content_part.added, output_text.delta…, output_text.done,
 *              content_part.done, output_item.done (a refusal: its own part, refusal.delta/.done)
 *   a call:    output_item.added, function_call_arguments.delta…, function_call_arguments.done, output_item.done
 *   response.completed — or response.incomplete when the answer hit max_output_tokens (or a filter)
 *
 * Every event carries its `sequence_number`; item events their `output_index` and `item_id`, part
 * events their `content_index`. Pure apart from the encoder's own state.
 */
import type { CompletionBuilder } from "../../stream/answer.js";
import type { Chunk } from "../../stream/chunks.js";
import type { Json, ResponsesRequest } from "./schema.js";

/** An id as OpenAI spells them: a prefix and hex. */
export const newId = (prefix: string): string => `${prefix}_${crypto.randomUUID().replace(/-/g, "")}`;

/** The Response object of a request, before any output: what the API echoes of the request. */
export function responseShell(req: ResponsesRequest, id: string, createdAt: number, store: boolean): Json {
  return {
    id,
    object: "response",
    created_at: createdAt,
    status: "in_progress",
    background: false,
    error: null,
    incomplete_details: null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model: req.model,
    output: [],
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: req.previous_response_id ?? null,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: null },
    store,
    temperature: req.temperature ?? null,
    text: req.text ?? { format: { type: "text" } },
    tool_choice: req.tool_choice ?? "auto",
    tools: (req.tools ?? []).map(shownTool),
    top_p: req.top_p ?? null,
    truncation: req.truncation ?? "disabled",
    // A string or absent in OpenAI's schema (never null).
    ...(typeof req.user === "string" ? { user: req.user } : {}),
    metadata: req.metadata ?? {},
  };
}

/** A tool as a Response shows it: a function tool with every field OpenAI's schema requires (null when not sent). */
function shownTool(t: Json): Json {
  if (t.type !== "function") return t;
  return { ...t, description: t.description ?? null, parameters: t.parameters ?? null, strict: t.strict ?? null };
}

type Usage = NonNullable<Chunk["usage"]>;

export function responseUsage(u: Usage | undefined): Json {
  const input = u?.prompt_tokens ?? 0;
  const output = u?.completion_tokens ?? 0;
  return {
    input_tokens: input,
    // Both required by OpenAI's schema; chat's usage has no count of tokens written to a cache.
    input_tokens_details: { cached_tokens: u?.prompt_tokens_details?.cached_tokens ?? 0, cache_write_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: u?.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: input + output,
  };
}

/** The Response's status for chat's finish reason. */
function ending(finish: string | null | undefined): { status: "completed" | "incomplete"; incomplete_details: Json | null } {
  if (finish === "length") return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
  if (finish === "content_filter") return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
  return { status: "completed", incomplete_details: null };
}

const outputText = (text: string) => ({ type: "output_text", annotations: [], logprobs: [], text });

interface OpenItem {
  index: number;
  item: Json;
  /** Text parts of a message so far: output_text and refusal, in order. */
  parts: Json[];
  /** A call's arguments so far. */
  args: string;
}

/** Turns chat chunks, in order, into the Responses API's stream events (as SSE text). */
export class ResponsesEncoder {
  #seq = 0;
  #started = false;
  readonly #output: Json[] = [];
  #open: OpenItem[] = [];
  #message: OpenItem | undefined;
  /** Chat tool call index → its open item. */
  readonly #calls = new Map<number, OpenItem>();
  #finish: string | null = null;
  #usage: Usage | undefined;
  #final: Json | undefined;

  constructor(private readonly shell: Json) {}

  /** Events written so far (the next event's sequence_number). */
  get sequence(): number {
    return this.#seq;
  }

  /** The whole Response, once end() ran. */
  get final(): Json | undefined {
    return this.#final;
  }

  #event(out: string[], type: string, data: Json): void {
    out.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.#seq++, ...data })}\n\n`);
  }

  #add(out: string[], item: Json): OpenItem {
    const open: OpenItem = { index: this.#output.length, item, parts: [], args: "" };
    this.#output.push(item);
    this.#open.push(open);
    this.#event(out, "response.output_item.added", { output_index: open.index, item });
    return open;
  }

  /** The message's last part, opened (and the one before closed) when it is not of this kind. */
  #part(out: string[], kind: "output_text" | "refusal"): { open: OpenItem; part: Json; content_index: number } {
    const open = (this.#message ??= this.#add(out, { id: newId("msg"), type: "message", status: "in_progress", content: [], role: "assistant" }));
    let part = open.parts[open.parts.length - 1];
    if (part?.type !== kind) {
      if (part) this.#closePart(out, open, open.parts.length - 1);
      part = kind === "refusal" ? { type: "refusal", refusal: "" } : outputText("");
      open.parts.push(part);
      this.#event(out, "response.content_part.added", { item_id: open.item.id, output_index: open.index, content_index: open.parts.length - 1, part: { ...part } });
    }
    return { open, part, content_index: open.parts.length - 1 };
  }

  #closePart(out: string[], open: OpenItem, i: number): void {
    const part = open.parts[i] as Json;
    const at = { item_id: open.item.id, output_index: open.index, content_index: i };
    if (part.type === "refusal") this.#event(out, "response.refusal.done", { ...at, refusal: part.refusal });
    else this.#event(out, "response.output_text.done", { ...at, text: part.text, logprobs: [] });
    this.#event(out, "response.content_part.done", { ...at, part: { ...part } });
  }

  /** Closes every open item (a new one starts, or the answer ended). */
  #closeAll(out: string[], status: string): void {
    for (const open of this.#open) {
      let done: Json;
      if (open.item.type === "message") {
        if (open.parts.length > 0) this.#closePart(out, open, open.parts.length - 1);
        done = { ...open.item, status, content: open.parts };
      } else {
        this.#event(out, "response.function_call_arguments.done", { item_id: open.item.id, output_index: open.index, name: open.item.name, arguments: open.args });
        done = { ...open.item, status, arguments: open.args };
      }
      this.#output[open.index] = done;
      this.#event(out, "response.output_item.done", { output_index: open.index, item: done });
    }
    this.#open = [];
    this.#message = undefined;
  }

  encode(chunk: Chunk): string {
    const out: string[] = [];
    if (!this.#started) {
      this.#started = true;
      if (chunk.model) this.shell.model = chunk.model;
      this.#event(out, "response.created", { response: { ...this.shell } });
      this.#event(out, "response.in_progress", { response: { ...this.shell } });
    }
    if (chunk.usage) this.#usage = chunk.usage;
    const choice = chunk.choices[0];
    const d = choice?.delta;
    if (d?.content) {
      const { open, part, content_index } = this.#part(out, "output_text");
      part.text = String(part.text) + d.content;
      this.#event(out, "response.output_text.delta", { item_id: open.item.id, output_index: open.index, content_index, delta: d.content, logprobs: [] });
    }
    if (d?.refusal) {
      const { open, part, content_index } = this.#part(out, "refusal");
      part.refusal = String(part.refusal) + d.refusal;
      this.#event(out, "response.refusal.delta", { item_id: open.item.id, output_index: open.index, content_index, delta: d.refusal });
    }
    for (const call of d?.tool_calls ?? []) {
      let open = this.#calls.get(call.index);
      if (!open) {
        this.#closeAll(out, "completed");
        open = this.#add(out, { id: newId("fc"), type: "function_call", status: "in_progress", arguments: "", call_id: call.id ?? newId("call"), name: call.function?.name ?? "" });
        this.#calls.set(call.index, open);
      }
      const delta = call.function?.arguments;
      if (delta) {
        open.args += delta;
        this.#event(out, "response.function_call_arguments.delta", { item_id: open.item.id, output_index: open.index, delta });
      }
    }
    if (choice?.finish_reason) this.#finish = choice.finish_reason;
    return out.join("");
  }

  /** The closing events, once the answer is whole (after its usage chunk, if any); final holds the Response. */
  end(): string {
    const out: string[] = [];
    const { status, incomplete_details } = ending(this.#finish);
    this.#closeAll(out, status);
    this.#final = { ...this.shell, status, incomplete_details, output: this.#output, usage: responseUsage(this.#usage) };
    this.#event(out, status === "completed" ? "response.completed" : "response.incomplete", { response: this.#final });
    return out.join("");
  }
}

/** A whole chat answer → one Response object. */
export function toResponse(a: CompletionBuilder, shell: Json): Json {
  const { status, incomplete_details } = ending(a.finish);
  const output: Json[] = [];
  const content = [...(a.text ? [outputText(a.text)] : []), ...(a.refusal ? [{ type: "refusal", refusal: a.refusal }] : [])];
  if (content.length > 0) output.push({ id: newId("msg"), type: "message", status, content, role: "assistant" });
  for (const call of a.calls.filter(Boolean)) {
    output.push({ id: newId("fc"), type: "function_call", status: "completed", arguments: call.function.arguments, call_id: call.id || newId("call"), name: call.function.name });
  }
  return { ...shell, model: a.model || shell.model, status, incomplete_details, output, usage: responseUsage(a.usage ?? undefined) };
}

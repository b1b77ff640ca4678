/**
 * An Anthropic Messages request → Hearth's chat request (OpenAI's shape), for everything but an
 * Anthropic target: classification, planning, home and OpenAI. Pure. What has no counterpart there
 * is named in `anthropicOnly` (documents, server tools, images in tool results): those requests may
 * still be served by Anthropic, which gets the original body, and by no other target.
 *
 * `output_config.format` (structured outputs) becomes response_format json_schema.
 * Dropped on the way, on purpose: `cache_control` (a cache hint for Anthropic alone), earlier
 * `thinking` blocks (their signatures mean nothing elsewhere), `thinking` itself, `top_k`.
 */
import { parseChatRequest, type ChatMessage, type ChatRequest, type UserContentPart } from "@hearth/shared";
import type { MessagesRequest } from "./schema.js";

type Block = { type: string; [k: string]: unknown };
type Json = Record<string, unknown>;

export interface Translated {
  chat: ChatRequest;
  /** What only Anthropic can serve in this request, or undefined when any target can. */
  anthropicOnly: string | undefined;
}

const blocksOf = (content: string | readonly unknown[]): Block[] =>
  typeof content === "string" ? [{ type: "text", text: content }] : (content as Block[]);

const text = (b: Block): string => (typeof b.text === "string" ? b.text : "");

function imagePart(b: Block): UserContentPart | undefined {
  const source = b.source as Json | undefined;
  if (source?.type === "base64" && typeof source.media_type === "string" && typeof source.data === "string") {
    return { type: "image_url", image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  }
  if (source?.type === "url" && typeof source.url === "string") return { type: "image_url", image_url: { url: source.url } };
  return undefined;
}

/** A tool_result's content as text; images in it have no place in an OpenAI tool message. */
function toolResultText(b: Block, only: (why: string) => void): string {
  const c = b.content;
  if (typeof c === "string") return c;
  if (!Array.isArray(c)) return "";
  const parts = c as Block[];
  if (parts.some((p) => p.type !== "text")) only(`${parts.find((p) => p.type !== "text")?.type ?? "non-text"} content in a tool_result`);
  const out = parts.map(text).join("");
  return b.is_error === true ? `Error: ${out}` : out;
}

function userMessages(blocks: Block[], only: (why: string) => void): ChatMessage[] {
  const out: ChatMessage[] = [];
  let parts: UserContentPart[] = [];
  const flush = () => {
    if (parts.length === 0) return;
    const onlyText = parts.every((p) => p.type === "text");
    out.push({ role: "user", content: onlyText ? parts.map((p) => (p.type === "text" ? p.text : "")).join("") : parts });
    parts = [];
  };
  for (const b of blocks) {
    if (b.type === "text") parts.push({ type: "text", text: text(b) });
    else if (b.type === "image") {
      const part = imagePart(b);
      if (part) parts.push(part);
      else only("an image source other than base64 or url");
    } else if (b.type === "tool_result") {
      // Tool results come first in Anthropic's user turn; OpenAI wants them as their own messages.
      flush();
      out.push({ role: "tool", tool_call_id: String(b.tool_use_id ?? ""), content: toolResultText(b, only) });
    } else only(`${b.type} blocks`);
  }
  flush();
  return out;
}

function assistantMessage(blocks: Block[], only: (why: string) => void): ChatMessage | undefined {
  let content = "";
  const calls: { id: string; type: "function"; function: { name: string; arguments: string } }[] = [];
  for (const b of blocks) {
    if (b.type === "text") content += text(b);
    else if (b.type === "tool_use") calls.push({ id: String(b.id ?? ""), type: "function", function: { name: String(b.name ?? ""), arguments: JSON.stringify(b.input ?? {}) } });
    else if (b.type === "thinking" || b.type === "redacted_thinking") continue;
    else only(`${b.type} blocks`);
  }
  if (content === "" && calls.length === 0) return undefined;
  return { role: "assistant", content: content === "" ? null : content, ...(calls.length > 0 ? { tool_calls: calls } : {}) };
}

function systemMessage(system: MessagesRequest["system"]): ChatMessage[] {
  if (system === undefined) return [];
  const s = typeof system === "string" ? system : (system as unknown as Block[]).map(text).join("\n\n");
  return s ? [{ role: "system", content: s }] : [];
}

function tools(req: MessagesRequest, only: (why: string) => void): Pick<ChatRequest, "tools" | "tool_choice" | "parallel_tool_calls"> {
  const out: Pick<ChatRequest, "tools" | "tool_choice" | "parallel_tool_calls"> = {};
  const list = (req.tools ?? []) as Block[];
  const client = list.filter((t) => t.input_schema !== undefined || t.type === undefined || t.type === "custom");
  if (client.length < list.length) only(`server tools (${list.filter((t) => !client.includes(t)).map((t) => String(t.type)).join(", ")})`);
  if (client.length > 0) {
    out.tools = client.map((t) => ({
      type: "function" as const,
      function: {
        name: String(t.name),
        ...(typeof t.description === "string" ? { description: t.description } : {}),
        parameters: (t.input_schema as Json | undefined) ?? { type: "object", properties: {} },
      },
    }));
  }
  const choice = req.tool_choice;
  if (choice?.type === "none") out.tool_choice = "none";
  else if (choice?.type === "any") out.tool_choice = "required";
  else if (choice?.type === "tool") out.tool_choice = { type: "function", function: { name: choice.name } };
  else if (choice?.type === "auto") out.tool_choice = "auto";
  if (choice && "disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use) out.parallel_tool_calls = false;
  return out;
}

/**
 * Anthropic's structured outputs — `output_config.format` (and the beta's `output_format`), a JSON
 * schema the answer must follow — as chat's response_format, so home's answer is held to it (and
 * checked) as an OpenAI client's is. Anthropic enforces it exactly: strict.
 */
function responseFormat(req: MessagesRequest): Json {
  const body = req as unknown as { output_config?: { format?: Json }; output_format?: Json };
  const f = body.output_config?.format ?? body.output_format;
  if (f?.type !== "json_schema" || typeof f.schema !== "object" || f.schema === null) return {};
  return { response_format: { type: "json_schema", json_schema: { name: "output", schema: f.schema, strict: true } } };
}

export function toChatRequest(req: MessagesRequest, model: string): Translated {
  const reasons: string[] = [];
  const only = (why: string) => void (reasons.includes(why) || reasons.push(why));
  const messages: ChatMessage[] = [...systemMessage(req.system)];
  for (const m of req.messages) {
    const blocks = blocksOf(m.content as string | unknown[]);
    if (m.role === "user") messages.push(...userMessages(blocks, only));
    else {
      const a = assistantMessage(blocks, only);
      if (a) messages.push(a);
    }
  }
  const stop = req.stop_sequences ?? [];
  const raw: Json = {
    model,
    messages,
    max_tokens: req.max_tokens,
    stream: req.stream === true,
    ...tools(req, only),
    ...responseFormat(req),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    ...(req.top_p !== undefined ? { top_p: req.top_p } : {}),
    // OpenAI takes at most 4 stop sequences; more are Anthropic's alone.
    ...(stop.length > 0 && stop.length <= 4 ? { stop } : {}),
    ...(typeof req.metadata?.user_id === "string" ? { user: req.metadata.user_id } : {}),
  };
  if (stop.length > 4) only("more than 4 stop_sequences");
  const anthropicOnly = reasons.length > 0 ? reasons.join("; ") : undefined;
  try {
    return { chat: parseChatRequest(raw), anthropicOnly };
  } catch (err) {
    // Nothing but what only Anthropic reads (a lone document): no other target will see it, so a
    // stand-in is enough for planning. Otherwise the body is wrong, and the error says where.
    if (anthropicOnly === undefined) throw err;
    return { chat: parseChatRequest({ model, max_tokens: req.max_tokens, stream: req.stream === true, messages: [{ role: "user", content: `(${anthropicOnly})` }] }), anthropicOnly };
  }
}

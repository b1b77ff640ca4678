/**
 * A Responses request → Hearth's chat request (OpenAI's Chat Completions shape), for everything but an
 * OpenAI target: classification, planning, home and Anthropic. Pure. `items` is the whole
 * conversation (the earlier turns of `previous_response_id` already in front, item references
 * resolved). What has no counterpart in chat is named in `openaiOnly` (built-in tools such as
 * web_search, file_search and computer use, files, client-side tool calls of OpenAI's own kinds):
 * such a request may still be served by OpenAI, which gets the original body, and by no other target.
 *
 * Dropped on the way, on purpose: reasoning items (encrypted or not, their content means something to
 * OpenAI alone; the visible turns around them carry the conversation), records of OpenAI's own
 * server-side tool runs in earlier turns (web and file search, image generation, code interpreter, MCP
 * calls: their results are in the messages after them), `text.verbosity`, `reasoning.summary`,
 * `include`, `truncation`, `service_tier`, `prompt_cache_key`.
 */
import { parseChatRequest, type ChatMessage, type ChatRequest, type ChatTool, type UserContentPart } from "@hearth/shared";
import { typeOf, type Item, type Json, type ResponsesRequest } from "./schema.js";

export interface Translated {
  chat: ChatRequest;
  /** What only OpenAI can serve in this request, or undefined when any target can. */
  openaiOnly: string | undefined;
}

type Only = (why: string) => void;
type ToolCall = { id: string; type: "function"; function: { name: string; arguments: string } };

/** Earlier turns' records of OpenAI's own server-side tools: nothing for another target to read. */
const RECORDS: ReadonlySet<string> = new Set(["reasoning", "web_search_call", "file_search_call", "image_generation_call", "code_interpreter_call", "mcp_list_tools", "mcp_call"]);

const DETAILS = ["auto", "low", "high"] as const;

const partsOf = (content: unknown): Json[] => (typeof content === "string" ? [{ type: "input_text", text: content }] : Array.isArray(content) ? (content as Json[]) : []);
const textOfPart = (p: Json): string => (typeof p.text === "string" ? p.text : typeof p.refusal === "string" ? p.refusal : "");

function userPart(p: Json, only: Only): UserContentPart | undefined {
  if (p.type === "input_text" || p.type === "output_text" || p.type === "text") return { type: "text", text: textOfPart(p) };
  if (p.type === "input_image" && typeof p.image_url === "string" && p.image_url !== "") {
    const detail = DETAILS.find((d) => d === p.detail);
    return { type: "image_url", image_url: { url: p.image_url, ...(detail ? { detail } : {}) } };
  }
  only(p.type === "input_image" ? "images given by file_id" : `${String(p.type)} content`);
  return undefined;
}

function userContent(content: unknown, only: Only): ChatMessage & { role: "user" } {
  const parts = partsOf(content)
    .map((p) => userPart(p, only))
    .filter((p): p is UserContentPart => p !== undefined);
  const onlyText = parts.every((p) => p.type === "text");
  return { role: "user", content: onlyText ? parts.map((p) => (p.type === "text" ? p.text : "")).join("") : parts };
}

function textContent(content: unknown, only: Only, where: string): string {
  const parts = partsOf(content);
  for (const p of parts) if (!["input_text", "output_text", "text", "refusal"].includes(String(p.type))) only(`${String(p.type)} content in ${where}`);
  return parts.map(textOfPart).join("");
}

/** Appends a function call to the assistant turn it belongs to: the assistant message just before, or a new one. */
function addCall(out: ChatMessage[], call: ToolCall): void {
  const last = out[out.length - 1];
  if (last?.role === "assistant") last.tool_calls = [...(last.tool_calls ?? []), call];
  else out.push({ role: "assistant", content: null, tool_calls: [call] });
}

function messages(req: ResponsesRequest, items: readonly Item[], only: Only): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (req.instructions) out.push({ role: "system", content: req.instructions });
  for (const item of items) {
    const type = typeOf(item);
    if (type === "message") {
      const role = String(item.role);
      if (role === "user") out.push(userContent(item.content, only));
      else if (role === "assistant") out.push({ role: "assistant", content: textContent(item.content, only, "an assistant message") });
      else out.push({ role: role === "developer" ? "developer" : "system", content: textContent(item.content, only, `a ${role} message`) });
    } else if (type === "function_call") {
      addCall(out, { id: String(item.call_id), type: "function", function: { name: String(item.name), arguments: String(item.arguments) } });
    } else if (type === "function_call_output") {
      out.push({ role: "tool", tool_call_id: String(item.call_id), content: textContent(item.output, only, "a function_call_output") });
    } else if (!RECORDS.has(type)) only(`${type} items`);
  }
  return out;
}

function functionTools(req: ResponsesRequest, only: Only): ChatTool[] {
  const tools: ChatTool[] = [];
  for (const t of (req.tools ?? []) as Json[]) {
    if (t.type !== "function") {
      only(`the ${String(t.type)} tool`);
      continue;
    }
    tools.push({
      type: "function",
      function: {
        name: String(t.name),
        ...(typeof t.description === "string" ? { description: t.description } : {}),
        parameters: (t.parameters as Json | null | undefined) ?? { type: "object", properties: {} },
        ...(typeof t.strict === "boolean" ? { strict: t.strict } : {}),
      },
    });
  }
  return tools;
}

/** tools and tool_choice in chat's terms (allowed_tools narrows the list instead). */
function toolFields(req: ResponsesRequest, only: Only): Pick<ChatRequest, "tools" | "tool_choice" | "parallel_tool_calls"> {
  let tools = functionTools(req, only);
  const choice = req.tool_choice as string | Json | null | undefined;
  let toolChoice: ChatRequest["tool_choice"];
  if (typeof choice === "string") toolChoice = choice as "none" | "auto" | "required";
  else if (choice?.type === "function") toolChoice = { type: "function", function: { name: String(choice.name) } };
  else if (choice?.type === "allowed_tools") {
    const allowed = (Array.isArray(choice.tools) ? (choice.tools as Json[]) : []).filter((t) => t.type === "function").map((t) => String(t.name));
    if (allowed.length < (Array.isArray(choice.tools) ? choice.tools.length : 0)) only("allowed_tools naming built-in tools");
    tools = tools.filter((t) => allowed.includes(t.function.name));
    toolChoice = choice.mode === "required" ? "required" : "auto";
  } else if (choice) only(`tool_choice ${String(choice.type)}`);
  return {
    ...(tools.length > 0 ? { tools } : {}),
    ...(toolChoice !== undefined && tools.length > 0 ? { tool_choice: toolChoice } : {}),
    ...(typeof req.parallel_tool_calls === "boolean" ? { parallel_tool_calls: req.parallel_tool_calls } : {}),
  };
}

function responseFormat(req: ResponsesRequest): Json {
  const f = req.text?.format as Json | undefined;
  if (f?.type === "json_object") return { response_format: { type: "json_object" } };
  if (f?.type !== "json_schema") return {};
  const json_schema = {
    name: String(f.name),
    schema: f.schema,
    ...(typeof f.description === "string" ? { description: f.description } : {}),
    ...(typeof f.strict === "boolean" ? { strict: f.strict } : {}),
  };
  return { response_format: { type: "json_schema", json_schema } };
}

export function toChatRequest(req: ResponsesRequest, items: readonly Item[]): Translated {
  const reasons: string[] = [];
  const only: Only = (why) => void (reasons.includes(why) || reasons.push(why));
  const user = req.user ?? req.safety_identifier;
  if (req.prompt != null) only("a stored prompt template");
  const raw: Json = {
    model: req.model,
    messages: messages(req, items, only),
    stream: req.stream === true,
    ...toolFields(req, only),
    ...responseFormat(req),
    ...(req.max_output_tokens != null ? { max_tokens: req.max_output_tokens } : {}),
    ...(req.reasoning?.effort != null ? { reasoning_effort: req.reasoning.effort } : {}),
    ...(req.temperature != null ? { temperature: req.temperature } : {}),
    ...(req.top_p != null ? { top_p: req.top_p } : {}),
    ...(req.metadata ? { metadata: req.metadata } : {}),
    ...(typeof user === "string" ? { user } : {}),
  };
  const openaiOnly = reasons.length > 0 ? reasons.join("; ") : undefined;
  try {
    return { chat: parseChatRequest(raw), openaiOnly };
  } catch (err) {
    // Nothing but what only OpenAI reads (a lone file, a stored prompt): no other target will see it,
    // so a stand-in is enough for planning. Otherwise the body is wrong, and the error says where.
    if (openaiOnly === undefined) throw err;
    return { chat: parseChatRequest({ model: req.model, stream: req.stream === true, messages: [{ role: "user", content: `(${openaiOnly})` }] }), openaiOnly };
  }
}

/**
 * OpenAI chat messages and tools → node-llama-cpp's chat history and function definitions. Pure.
 *
 * node-llama-cpp keeps a function call and its result together in the model's turn
 * (`{type: "functionCall", params, result}` inside a `model` item), where OpenAI spreads them over
 * an assistant message and tool messages. So an assistant message, the tool messages answering it
 * and the assistant text after them become one `model` item, the way node-llama-cpp's own chat
 * session records a turn with calls in it.
 *
 * Functions carry no handlers: Hearth is a gateway. When the model calls one, generation stops and
 * the call goes back to the client, which runs it and sends the result in its next request.
 */
import { contentText, type ChatMessage, type ChatTool } from "@hearth/shared";
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions, ChatModelResponse, GbnfJsonSchema } from "node-llama-cpp";
import { BackendError } from "../types.js";

type AssistantMessage = Extract<ChatMessage, { role: "assistant" }>;
type ToolMessage = Extract<ChatMessage, { role: "tool" }>;

/** Converts the messages; the history always ends with a model item, the one generation fills. */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  // Calls of the current model turn still waiting for their tool message, by tool_call_id.
  let open = new Map<string, ChatModelFunctionCall>();
  messages.forEach((message, i) => {
    if (message.role !== "tool") requireAnswered(open, i);
    switch (message.role) {
      case "system":
      case "developer":
        history.push({ type: "system", text: contentText(message.content) });
        break;
      case "user":
        history.push({ type: "user", text: userText(message, i) });
        break;
      case "assistant":
        open = appendAssistant(currentModelTurn(history), message);
        break;
      case "tool":
        answerCall(open, message, i);
        break;
    }
  });
  requireAnswered(open, messages.length);
  const last = history.at(-1);
  if (last?.type !== "model") history.push({ type: "model", response: [] });
  return history;
}

function userText(message: Extract<ChatMessage, { role: "user" }>, i: number): string {
  if (typeof message.content === "string") return message.content;
  const other = message.content.find((part) => part.type !== "text");
  if (other) throw new BackendError("unsupported", `messages[${i}]: ${other.type} content is not supported by local llama.cpp models`);
  return contentText(message.content);
}

/** The model item a new assistant message continues: the last one if it has calls awaiting text, else a new one. */
function currentModelTurn(history: ChatHistoryItem[]): ChatModelResponse {
  const last = history.at(-1);
  if (last?.type === "model" && last.response.some((r) => typeof r !== "string" && r.type === "functionCall")) return last;
  const item: ChatModelResponse = { type: "model", response: [] };
  history.push(item);
  return item;
}

/** Adds the message's text and calls to the turn; returns its calls by id, to be answered next. */
function appendAssistant(turn: ChatModelResponse, message: AssistantMessage): Map<string, ChatModelFunctionCall> {
  const text = contentText(message.content ?? null) || (message.refusal ?? "");
  if (text !== "") turn.response.push(text);
  const open = new Map<string, ChatModelFunctionCall>();
  message.tool_calls?.forEach((call, k) => {
    const item: ChatModelFunctionCall = {
      type: "functionCall",
      name: call.function.name,
      params: parseJsonOr(call.function.arguments, call.function.arguments),
      result: undefined,
      // Parallel calls are one chunk; the first call of a message starts it.
      startsNewChunk: k === 0,
    };
    turn.response.push(item);
    open.set(call.id, item);
  });
  return open;
}

function answerCall(open: Map<string, ChatModelFunctionCall>, message: ToolMessage, i: number): void {
  const call = open.get(message.tool_call_id);
  if (!call) throw new BackendError("invalid_request", `messages[${i}]: tool_call_id '${message.tool_call_id}' answers no tool call of the preceding assistant message`);
  // A JSON result is rendered as JSON by the chat wrappers; anything else as a string.
  const text = contentText(message.content);
  call.result = parseJsonOr(text, text);
  open.delete(message.tool_call_id);
}

/** OpenAI requires a tool message for every call before the conversation goes on; so does the chat format. */
function requireAnswered(open: Map<string, ChatModelFunctionCall>, i: number): void {
  const [id] = open.keys();
  if (id !== undefined) throw new BackendError("invalid_request", `messages[${i}]: tool call '${id}' has no tool message answering it`);
}

function parseJsonOr(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}

/** OpenAI tools → node-llama-cpp functions (description and JSON schema; no handlers). */
export function toFunctions(tools: readonly ChatTool[]): ChatModelFunctions {
  const functions: Record<string, ChatModelFunctions[string]> = {};
  for (const { function: f } of tools) {
    functions[f.name] = {
      ...(f.description === undefined ? {} : { description: f.description }),
      // node-llama-cpp turns the schema into a grammar; a schema it cannot express fails there.
      ...(f.parameters === undefined ? {} : { params: f.parameters as GbnfJsonSchema }),
    };
  }
  return functions;
}

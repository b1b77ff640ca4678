/**
 * An OpenAI chat request → the body of Ollama's `/api/chat`. Pure.
 *
 * Ollama has no `tool_choice`: "none" sends no tools and "auto" sends them all; "required" or a named
 * function is asked for through `format` instead (../forced.ts), which Ollama's grammar enforces.
 */
import { requestedMaxTokens, type ChatRequest, type ChatTool } from "@hearth/shared";
import type { ChatRequest as OllamaChatRequest, Message, Options, Tool } from "ollama";
import { forcedCall } from "../forced.js";
import { BackendError } from "../types.js";
import { toOllamaMessages } from "./messages.js";

export interface ChatBodyOptions {
  /** Continue an assistant answer that begins with this text: it goes last, as the assistant's, and Ollama writes on from it. Default: none. */
  prefix?: string;
  /** keep_alive for Ollama: how long the model stays loaded after this request. Default: Ollama's own (5m). */
  keepAlive?: string | number;
  /** options.num_ctx: the context window Ollama loads the model with. Default: Ollama's own. */
  numCtx?: number;
}

export function toOllamaTools(tools: readonly ChatTool[]): Tool[] {
  return tools.map((t) => ({
    type: "function",
    function: {
      name: t.function.name,
      ...(t.function.description !== undefined ? { description: t.function.description } : {}),
      // The JSON schema passes through as is; the client's type spells out only a subset of JSON schema.
      ...(t.function.parameters ? { parameters: t.function.parameters as Tool["function"]["parameters"] } : {}),
    },
  }));
}

/** Tools for the model to call as it likes: tool_choice auto (a forced call goes through `format`). */
function offeredTools(req: ChatRequest): Tool[] | undefined {
  const choice = req.tool_choice;
  if (!req.tools?.length || (choice != null && choice !== "auto")) return undefined;
  return toOllamaTools(req.tools);
}

export function toOllamaOptions(req: ChatRequest, numCtx?: number): Partial<Options> {
  const o: Partial<Options> = {};
  if (req.temperature != null) o.temperature = req.temperature;
  if (req.top_p != null) o.top_p = req.top_p;
  if (req.seed != null) o.seed = req.seed;
  if (req.presence_penalty != null) o.presence_penalty = req.presence_penalty;
  if (req.frequency_penalty != null) o.frequency_penalty = req.frequency_penalty;
  if (req.stop != null) o.stop = typeof req.stop === "string" ? [req.stop] : req.stop;
  const max = requestedMaxTokens(req);
  if (max !== undefined) o.num_predict = max;
  if (numCtx !== undefined) o.num_ctx = numCtx;
  return o;
}

/** "json" for json_object, the schema itself for json_schema (Ollama's structured outputs). */
export function toOllamaFormat(req: ChatRequest): string | object | undefined {
  const rf = req.response_format;
  if (!rf || rf.type === "text") return undefined;
  if (rf.type === "json_schema" && rf.json_schema.schema) return rf.json_schema.schema;
  return "json";
}

/** The messages with the instruction in the system message (first, where every chat template puts it). */
export function withInstruction(messages: Message[], instruction: string): Message[] {
  const [first, ...rest] = messages;
  if (first?.role === "system") return [{ ...first, content: `${first.content}\n\n${instruction}` }, ...rest];
  return [{ role: "system", content: instruction }, ...messages];
}

export function toOllamaChatBody(model: string, req: ChatRequest, opts: ChatBodyOptions = {}): OllamaChatRequest {
  const tools = offeredTools(req);
  const options = toOllamaOptions(req, opts.numCtx);
  const forced = forcedCall(req);
  const asked = toOllamaFormat(req);
  if (forced && asked !== undefined) throw new BackendError("unsupported", "a forced tool_choice together with response_format JSON is not supported by Ollama models");
  if (forced && opts.prefix) throw new BackendError("unsupported", "a forced tool call cannot continue an answer");
  const format = forced?.format ?? asked;
  const messages = toOllamaMessages(req.messages);
  return {
    model,
    messages: opts.prefix ? [...messages, { role: "assistant", content: opts.prefix }] : forced ? withInstruction(messages, forced.instruction) : messages,
    ...(tools ? { tools } : {}),
    ...(Object.keys(options).length > 0 ? { options } : {}),
    ...(format !== undefined ? { format } : {}),
    ...(opts.keepAlive !== undefined ? { keep_alive: opts.keepAlive } : {}),
  };
}

/**
 * An OpenAI chat request → the body of Ollama's `/api/chat`. Pure.
 *
 * Ollama has no `tool_choice`: "none" sends no tools and "auto" sends them all; "required" or a named
 * function cannot be enforced, so such requests are refused as unsupported (the Worker then sends them
 * to a target that can), as the llama.cpp backend does.
 */
import { requestedMaxTokens, type ChatRequest, type ChatTool } from "@hearth/shared";
import type { ChatRequest as OllamaChatRequest, Options, Tool } from "ollama";
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

function offeredTools(req: ChatRequest): Tool[] | undefined {
  const choice = req.tool_choice;
  if (!req.tools?.length || choice === "none") return undefined;
  if (choice != null && choice !== "auto") {
    throw new BackendError("unsupported", "tool_choice other than 'auto' or 'none' cannot be enforced by Ollama models");
  }
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

export function toOllamaChatBody(model: string, req: ChatRequest, opts: ChatBodyOptions = {}): OllamaChatRequest {
  const tools = offeredTools(req);
  const options = toOllamaOptions(req, opts.numCtx);
  const format = toOllamaFormat(req);
  return {
    model,
    messages: opts.prefix ? [...toOllamaMessages(req.messages), { role: "assistant", content: opts.prefix }] : toOllamaMessages(req.messages),
    ...(tools ? { tools } : {}),
    ...(Object.keys(options).length > 0 ? { options } : {}),
    ...(format !== undefined ? { format } : {}),
    ...(opts.keepAlive !== undefined ? { keep_alive: opts.keepAlive } : {}),
  };
}

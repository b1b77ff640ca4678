/**
 * An OpenAI chat request → what to ask node-llama-cpp for, and its stop reason → an OpenAI finish
 * reason. Pure: everything a request cannot get here is refused before a model is touched.
 */
import { requestedMaxTokens, type ChatRequest } from "@hearth/shared";
import type { ChatHistoryItem, ChatModelFunctions, GbnfJsonSchema, LLamaContextualRepeatPenalty, LlamaChatResponse } from "node-llama-cpp";
import { forcedCall, type ForcedCall } from "../forced.js";
import { BackendError, type FinishReason } from "../types.js";
import { toChatHistory, toFunctions } from "./messages.js";

/**
 * Used when the request sets no temperature. OpenAI's default is 1; llama.cpp's own OpenAI-compatible
 * server uses 0.8, which suits small local models better, and it is what users of those models expect.
 */
export const DEFAULT_TEMPERATURE = 0.8;

export type JsonFormat = { kind: "json" } | { kind: "json_schema"; schema: GbnfJsonSchema };

export interface GenerationPlan {
  history: ChatHistoryItem[];
  /** Offered to the model; absent when the request has no tools or says tool_choice "none". */
  functions: ChatModelFunctions | undefined;
  /** 1 when the request says parallel_tool_calls: false. */
  maxParallelFunctionCalls: number | undefined;
  /** Constrains output to JSON (response_format, or a forced call's schema); never together with functions. */
  json: JsonFormat | undefined;
  /** tool_choice required or a named function: the JSON the grammar holds the model to is the call (../forced.ts). */
  forced: ForcedCall | undefined;
  /** The caller's cap; the context's room caps it further at run time. */
  maxTokens: number | undefined;
  temperature: number;
  topP: number | undefined;
  seed: number | undefined;
  stop: string[];
  repeatPenalty: false | LLamaContextualRepeatPenalty;
}

/** `prefix`: continue an assistant answer that begins with it (LlamaChat writes on from a history that ends in a model turn with text). */
export function planGeneration(req: ChatRequest, model: { id: string; tools: boolean }, prefix?: string): GenerationPlan {
  const forced = forcedCall(req);
  const functions = forced ? undefined : planFunctions(req, model);
  const asked = planJson(req);
  if ((functions || forced) && asked) throw new BackendError("unsupported", "tools and response_format JSON together are not supported by local llama.cpp models");
  if (forced && prefix) throw new BackendError("unsupported", "a forced tool call cannot continue an answer");
  const json: JsonFormat | undefined = forced ? { kind: "json_schema", schema: forced.format as GbnfJsonSchema } : asked;
  const history = forced ? withInstruction(toChatHistory(req.messages), forced.instruction) : toChatHistory(req.messages);
  const last = history.at(-1);
  if (prefix && last?.type === "model") last.response.push(prefix);
  return {
    history,
    functions,
    maxParallelFunctionCalls: functions && req.parallel_tool_calls === false ? 1 : undefined,
    json,
    forced,
    maxTokens: requestedMaxTokens(req),
    temperature: req.temperature ?? DEFAULT_TEMPERATURE,
    topP: req.top_p ?? undefined,
    seed: req.seed ?? undefined,
    stop: req.stop == null ? [] : typeof req.stop === "string" ? [req.stop] : req.stop,
    repeatPenalty: repeatPenalty(req),
  };
}

/** Functions the model may call as it likes (tool_choice auto; a forced call is planned as JSON). */
function planFunctions(req: ChatRequest, model: { id: string; tools: boolean }): ChatModelFunctions | undefined {
  const tools = req.tools ?? [];
  const choice = req.tool_choice ?? "auto";
  if (tools.length === 0 || choice === "none") return undefined;
  if (!model.tools) throw new BackendError("unsupported", `model '${model.id}' has no tool-calling chat template`);
  return toFunctions(tools);
}

/** The history with the instruction in its system message (first, where every chat template puts it). */
function withInstruction(history: ChatHistoryItem[], instruction: string): ChatHistoryItem[] {
  const [first, ...rest] = history;
  if (first?.type === "system") return [{ ...first, text: `${String(first.text)}\n\n${instruction}` }, ...rest];
  return [{ type: "system", text: instruction }, ...history];
}

function planJson(req: ChatRequest): JsonFormat | undefined {
  const format = req.response_format;
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object" || format.json_schema.schema === undefined) return { kind: "json" };
  return { kind: "json_schema", schema: format.json_schema.schema as GbnfJsonSchema };
}

/**
 * OpenAI's penalties subtract from logits like llama.cpp's `penalty_freq` / `penalty_present`, so they
 * map directly (negative values, which node-llama-cpp does not take, count as 0). Without them no
 * repeat penalty applies, as with OpenAI; node-llama-cpp's own default would apply 1.1.
 */
function repeatPenalty(req: ChatRequest): false | LLamaContextualRepeatPenalty {
  const frequency = Math.max(0, req.frequency_penalty ?? 0);
  const presence = Math.max(0, req.presence_penalty ?? 0);
  if (frequency === 0 && presence === 0) return false;
  return { penalty: 1, frequencyPenalty: frequency, presencePenalty: presence };
}

export type StopReason = LlamaChatResponse["metadata"]["stopReason"];

/** node-llama-cpp's stop reason → OpenAI's finish reason. An abort is not a finish: it is "cancelled". */
export function finishReasonFor(stopReason: StopReason, functionCalls: number): FinishReason {
  if (functionCalls > 0) return "tool_calls";
  switch (stopReason) {
    case "maxTokens":
      return "length";
    case "abort":
      throw new BackendError("cancelled", "generation was cancelled");
    default:
      // eogToken, stopGenerationTrigger, customStopTrigger; functionCalls without calls cannot happen.
      return "stop";
  }
}

/**
 * An OpenAI chat request → Anthropic Messages API parameters (non-streaming form; the caller adds
 * `stream`). Pure: no I/O, throws HearthError for the caller's mistakes and UnsupportedFeatureError
 * for what only another provider can take.
 */
import type {
  MessageCreateParamsNonStreaming,
  Tool,
  ToolChoice,
} from "@anthropic-ai/sdk/resources/messages";
import { requestedMaxTokens, type ChatRequest, type ChatTool } from "@hearth/shared";
import { systemText, toMessages } from "./messages.js";

/**
 * Anthropic requires max_tokens; OpenAI lets a caller omit it and get "as much as the model allows".
 * A cap that every current Claude model accepts stands in for that.
 */
export const DEFAULT_MAX_TOKENS = 4096;

export const JSON_INSTRUCTION = "Respond with a single valid JSON object and nothing else.";

function toTool(tool: ChatTool): Tool {
  const params = tool.function.parameters;
  // Anthropic insists on an object schema; OpenAI lets parameters be omitted for a no-argument tool.
  const out: Tool = {
    name: tool.function.name,
    input_schema: params ? { ...params, type: "object" } : { type: "object", properties: {} },
  };
  if (tool.function.description) out.description = tool.function.description;
  return out;
}

function toToolChoice(req: ChatRequest): ToolChoice | undefined {
  const choice = req.tool_choice;
  const serial = req.parallel_tool_calls === false;
  if (choice === "none") return { type: "none" };
  let out: Exclude<ToolChoice, { type: "none" }> | undefined;
  if (choice === "required") out = { type: "any" };
  else if (choice === "auto") out = { type: "auto" };
  else if (choice) out = { type: "tool", name: choice.function.name };
  // Anthropic says "one tool call at a time" on the tool_choice itself.
  if (serial) out = { ...(out ?? { type: "auto" }), disable_parallel_tool_use: true };
  return out;
}

/**
 * Anthropic has no response_format. Its structured outputs (output_config.format) work on some
 * models only and for a subset of JSON Schema, and a 400 there would end the request instead of
 * falling back; an instruction in the system prompt works on every model.
 */
function jsonInstruction(req: ChatRequest): string {
  const format = req.response_format;
  if (!format || format.type === "text") return "";
  if (format.type === "json_object" || !format.json_schema.schema) return JSON_INSTRUCTION;
  return `${JSON_INSTRUCTION}\nIt must match this JSON schema:\n${JSON.stringify(format.json_schema.schema)}`;
}

/**
 * Not sent, on purpose: temperature and top_p. Anthropic API version 2026-10-21, which SDK 1.x speaks,
 * answers 400 to any sampling parameter, even at its default, and the SDK no longer types them; a
 * sampling hint is not worth failing the request over. seed and the penalties have no Anthropic
 * counterpart either.
 */
export function toAnthropicRequest(req: ChatRequest, model: string): MessageCreateParamsNonStreaming {
  const params: MessageCreateParamsNonStreaming = {
    model,
    max_tokens: requestedMaxTokens(req) ?? DEFAULT_MAX_TOKENS,
    messages: toMessages(req.messages),
  };
  const system = [systemText(req.messages), jsonInstruction(req)].filter(Boolean).join("\n\n");
  if (system) params.system = system;
  const stop = typeof req.stop === "string" ? [req.stop] : (req.stop ?? []);
  if (stop.length > 0) params.stop_sequences = stop;
  // Anthropic rejects tool_choice without tools, and OpenAI's tool_choice means nothing without them.
  if (req.tools && req.tools.length > 0) {
    params.tools = req.tools.map(toTool);
    const choice = toToolChoice(req);
    if (choice) params.tool_choice = choice;
  }
  if (req.user) params.metadata = { user_id: req.user };
  return params;
}

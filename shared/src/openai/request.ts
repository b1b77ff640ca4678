/**
 * The OpenAI Chat Completions request as Hearth accepts it. Unknown fields are dropped (z.object
 * strips them); known fields with the wrong type are rejected with the field's path.
 */
import { z } from "zod";
import { CHAT_LIMITS } from "./limits.js";

/**
 * OpenAI's ReasoningEffort, as its OpenAPI spec lists it (openai/openai-openapi, 2026-08: `max` beside
 * `xhigh`; the openai SDK pinned here stops at `xhigh`). Passed to OpenAI as sent; the Anthropic
 * translation and home's backends have no such setting and ignore it.
 */
export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"] as const;

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const imagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.object({
    url: z.string().min(1),
    detail: z.enum(["auto", "low", "high"]).optional(),
  }),
});
const audioPart = z.object({
  type: z.literal("input_audio"),
  input_audio: z.object({ data: z.string(), format: z.string() }),
});
const filePart = z.object({
  type: z.literal("file"),
  file: z.object({
    file_data: z.string().optional(),
    file_id: z.string().optional(),
    filename: z.string().optional(),
  }),
});
const refusalPart = z.object({ type: z.literal("refusal"), refusal: z.string() });

const userPart = z.discriminatedUnion("type", [textPart, imagePart, audioPart, filePart]);
const assistantPart = z.discriminatedUnion("type", [textPart, refusalPart]);

const toolCall = z.object({
  id: z.string().min(1),
  type: z.literal("function"),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const systemMessage = z.object({
  role: z.enum(["system", "developer"]),
  content: z.union([z.string(), z.array(textPart)], { error: "must be a string or an array of text parts" }),
  name: z.string().optional(),
});
const userMessage = z.object({
  role: z.literal("user"),
  content: z.union([z.string(), z.array(userPart)], { error: "must be a string or an array of content parts" }),
  name: z.string().optional(),
});
const assistantMessage = z.object({
  role: z.literal("assistant"),
  content: z
    .union([z.string(), z.array(assistantPart)], { error: "must be a string, null or an array of text parts" })
    .nullish(),
  tool_calls: z.array(toolCall).optional(),
  refusal: z.string().nullish(),
  name: z.string().optional(),
});
const toolMessage = z.object({
  role: z.literal("tool"),
  content: z.union([z.string(), z.array(textPart)]),
  tool_call_id: z.string().min(1),
});

export const chatMessageSchema = z.discriminatedUnion("role", [
  systemMessage,
  userMessage,
  assistantMessage,
  toolMessage,
]);

const functionTool = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be 1-64 letters, digits, _ or -"),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  z.object({ type: z.literal("function"), function: z.object({ name: z.string().min(1) }) }),
]);

const responseFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string().min(1),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const positiveInt = z.number().int().positive();

export const chatRequestSchema = z.object({
  model: z.string().min(1),
  messages: z.array(chatMessageSchema).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: positiveInt.nullish(),
  max_completion_tokens: positiveInt.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(CHAT_LIMITS.stop)]).nullish(),
  tools: z.array(functionTool).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: responseFormat.nullish(),
  // n > 1 is refused: not every target can produce several choices, and fallback must not change the shape.
  n: z.literal(1).nullish(),
  seed: z.number().int().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  user: z.string().nullish(),
  reasoning_effort: z.enum(REASONING_EFFORTS).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type ChatTool = z.infer<typeof functionTool>;
export type ChatToolChoice = z.infer<typeof toolChoice>;
export type UserContentPart = z.infer<typeof userPart>;

/** The token cap the caller asked for, whichever of the two spellings it used. */
export function requestedMaxTokens(req: ChatRequest): number | undefined {
  return req.max_completion_tokens ?? req.max_tokens ?? undefined;
}

/** A message's content as plain text (parts joined; non-text parts dropped). */
export function contentText(content: ChatMessage["content"]): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  let out = "";
  for (const part of content) if (part.type === "text") out += part.text;
  return out;
}

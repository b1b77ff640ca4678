/**
 * The Anthropic Messages API request, as Hearth accepts it: what it reads is validated (a 400 in
 * Anthropic's shape naming the field), everything else passes through untouched to Anthropic —
 * `cache_control`, `thinking`, server tools and beta fields must survive the trip.
 */
import { depthViolation, fieldOf, formatPath, HearthError } from "@hearth/shared";
import type { MessageCreateParams } from "@anthropic-ai/sdk/resources/messages";
import { z } from "zod";

/** Deeper than this anywhere in the body is refused (as for chat): a walk or a clone must never overflow. */
const MAX_DEPTH = 64;
const MAX_MESSAGES = 100_000;
const MAX_TOOLS = 1_024;

const block = z.object({ type: z.string().min(1) }).passthrough();
const content = z.union([z.string(), z.array(block).max(10_000)]);
const message = z.object({ role: z.enum(["user", "assistant"]), content }).passthrough();

const tool = z
  .object({
    // Client tools have an input_schema; server tools (web_search, bash…) a `type` and a name.
    name: z.string().min(1).max(128),
    type: z.string().optional(),
    description: z.string().optional(),
    input_schema: z.object({ type: z.literal("object") }).passthrough().optional(),
  })
  .passthrough();

const toolChoice = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("tool"), name: z.string().min(1), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("none") }),
]);

export const messagesRequestSchema = z
  .object({
    model: z.string().min(1),
    max_tokens: z.number().int().positive(),
    messages: z.array(message).min(1).max(MAX_MESSAGES),
    system: z.union([z.string(), z.array(block)]).optional(),
    tools: z.array(tool).max(MAX_TOOLS).optional(),
    tool_choice: toolChoice.optional(),
    stop_sequences: z.array(z.string()).optional(),
    stream: z.boolean().optional(),
    temperature: z.number().min(0).max(1).optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().nonnegative().optional(),
    metadata: z.object({ user_id: z.string().nullish() }).passthrough().optional(),
    thinking: z.object({ type: z.string() }).passthrough().optional(),
  })
  .passthrough();

/** A validated Messages request: the SDK's type for what Hearth reads, the body itself for the rest. */
export type MessagesRequest = MessageCreateParams & {
  stream?: boolean;
  // Older API versions take sampling parameters (the SDK's current types do not list them).
  temperature?: number;
  top_p?: number;
  top_k?: number;
};

function invalid(param: string, message: string): HearthError {
  return new HearthError("invalid_request", `Invalid value for '${param}': ${message}`, { param });
}

export function parseMessagesRequest(body: unknown): MessagesRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new HearthError("invalid_request", "The request body must be a JSON object.");
  const deep = depthViolation(body, MAX_DEPTH);
  if (deep) throw invalid(formatPath(fieldOf(deep)), `nested deeper than the limit of ${MAX_DEPTH} levels.`);
  const r = messagesRequestSchema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    const param = formatPath(issue?.path ?? []);
    throw invalid(param || "body", `${issue?.message ?? "invalid"}.`);
  }
  return r.data as unknown as MessagesRequest;
}

/**
 * The OpenAI Responses API request (POST /v1/responses), as Hearth accepts it: what it reads is
 * validated (a 400 in OpenAI's shape naming the field, as `input[3].call_id`), everything else passes
 * through untouched to OpenAI — built-in tools, `include`, `prompt`, `service_tier` and fields newer
 * than this schema must survive the trip.
 */
import { depthViolation, fieldOf, formatPath, HearthError, REASONING_EFFORTS } from "@hearth/shared";
import { z } from "zod";

/** Deeper than this anywhere in the body is refused (as for chat and messages): a walk or a clone must never overflow. */
const MAX_DEPTH = 64;
const MAX_ITEMS = 100_000;
const MAX_TOOLS = 1_024;
const MAX_PARTS = 10_000;

const part = z.object({ type: z.string().min(1) }).passthrough();
const content = z.union([z.string(), z.array(part).max(MAX_PARTS)], { error: "must be a string or an array of content parts" });

/** The input items Hearth reads; any other `type` passes through as it came (and only OpenAI takes it). */
const itemSchemas: Readonly<Record<string, z.ZodType>> = {
  message: z.object({ role: z.enum(["user", "assistant", "system", "developer"]), content }).passthrough(),
  function_call: z.object({ call_id: z.string().min(1), name: z.string().min(1), arguments: z.string() }).passthrough(),
  function_call_output: z.object({ call_id: z.string().min(1), output: content }).passthrough(),
  item_reference: z.object({ id: z.string().min(1) }).passthrough(),
};

const item = z.object({ type: z.string().min(1).nullish() }).passthrough();

const functionTool = z
  .object({
    type: z.literal("function"),
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be 1-64 letters, digits, _ or -"),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  })
  .passthrough();
const tool = z.object({ type: z.string().min(1) }).passthrough();

const format = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }).passthrough(),
  z.object({ type: z.literal("json_object") }).passthrough(),
  z
    .object({
      type: z.literal("json_schema"),
      name: z.string().min(1).max(64),
      schema: z.record(z.string(), z.unknown()),
      description: z.string().nullish(),
      strict: z.boolean().nullish(),
    })
    .passthrough(),
]);

export const responsesRequestSchema = z
  .object({
    model: z.string().min(1),
    input: z.union([z.string(), z.array(item).max(MAX_ITEMS)], { error: "must be a string or an array of input items" }).nullish(),
    instructions: z.string().nullish(),
    tools: z.array(tool).max(MAX_TOOLS).nullish(),
    tool_choice: z.union([z.enum(["none", "auto", "required"]), z.object({ type: z.string().min(1) }).passthrough()]).nullish(),
    text: z.object({ format: format.optional() }).passthrough().nullish(),
    max_output_tokens: z.number().int().positive().nullish(),
    reasoning: z.object({ effort: z.enum(REASONING_EFFORTS).nullish() }).passthrough().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    previous_response_id: z.string().min(1).nullish(),
    store: z.boolean().nullish(),
    stream: z.boolean().nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
    user: z.string().nullish(),
    safety_identifier: z.string().nullish(),
    background: z.boolean().nullish(),
    truncation: z.enum(["auto", "disabled"]).nullish(),
  })
  .passthrough();

export type Json = Record<string, unknown>;
/** An input or output item: `type` says which (a message when absent). */
export type Item = Json & { type?: string | null };
export type ResponsesRequest = z.infer<typeof responsesRequestSchema> & Json;

function invalid(param: string, message: string): HearthError {
  return new HearthError("invalid_request", `Invalid value for '${param}': ${message}`, { param });
}

function firstIssue(r: { success: false; error: z.ZodError }, prefix: (string | number)[]): HearthError {
  const issue = r.error.issues[0];
  const param = formatPath([...prefix, ...(issue?.path ?? [])]);
  return invalid(param || "body", `${issue?.message ?? "invalid"}.`);
}

/** An item's type. Without one: a message when it has a role (OpenAI's EasyInputMessage), else a reference by id. */
export const typeOf = (item: Item): string => item.type ?? (item.role === undefined && typeof item.id === "string" ? "item_reference" : "message");

export function parseResponsesRequest(body: unknown): ResponsesRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new HearthError("invalid_request", "The request body must be a JSON object.");
  const deep = depthViolation(body, MAX_DEPTH);
  if (deep) throw invalid(formatPath(fieldOf(deep)), `nested deeper than the limit of ${MAX_DEPTH} levels.`);
  const r = responsesRequestSchema.safeParse(body);
  if (!r.success) throw firstIssue(r, []);
  const req = r.data as ResponsesRequest;
  const items = Array.isArray(req.input) ? (req.input as Item[]) : [];
  items.forEach((it, i) => {
    const schema = itemSchemas[typeOf(it)];
    const checked = schema?.safeParse(it);
    if (checked && !checked.success) throw firstIssue(checked, ["input", i]);
  });
  (req.tools ?? []).forEach((t, i) => {
    if (t.type !== "function") return;
    const checked = functionTool.safeParse(t);
    if (!checked.success) throw firstIssue(checked, ["tools", i]);
  });
  return req;
}

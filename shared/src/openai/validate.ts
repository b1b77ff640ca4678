import type { z } from "zod";
import { HearthError } from "../errors.js";
import { chatRequestSchema, type ChatRequest } from "./request.js";

/** `["messages", 0, "content"]` → `messages[0].content`, the way OpenAI names a field in `param`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Turns the first schema issue into a 400 naming the field. */
export function issueToError(error: z.ZodError): HearthError {
  const issue = error.issues[0];
  if (!issue) return new HearthError("invalid_request", "Invalid request body.");
  const param = formatPath(issue.path);
  const where = param === "" ? "request body" : `'${param}'`;
  return new HearthError("invalid_request", `Invalid value for ${where}: ${issue.message}.`, {
    param: param || undefined,
  });
}

/** Validates a parsed JSON body as a chat completion request. Throws HearthError(400) naming the field. */
export function parseChatRequest(body: unknown): ChatRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HearthError("invalid_request", "The request body must be a JSON object.");
  }
  const result = chatRequestSchema.safeParse(body);
  if (!result.success) throw issueToError(result.error);
  return result.data;
}

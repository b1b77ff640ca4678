import type { z } from "zod";
import { HearthError } from "../errors.js";
import { chatLimitViolation, type LimitViolation } from "./limits.js";
import { chatRequestSchema, type ChatRequest } from "./request.js";

// The limits are part of validation's public face (the Worker's body reader uses the depth walk).
export { CHAT_LIMITS, depthViolation, fieldOf, nestedTooDeep, type LimitViolation } from "./limits.js";

/** `["messages", 0, "content"]` → `messages[0].content`, the way OpenAI names a field in `param`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** A 400 naming the field at `path`. */
function fieldError(path: readonly PropertyKey[], detail: string): HearthError {
  const param = formatPath(path);
  const where = param === "" ? "request body" : `'${param}'`;
  return new HearthError("invalid_request", `Invalid value for ${where}: ${detail}.`, {
    param: param || undefined,
  });
}

/** Turns the first schema issue into a 400 naming the field. */
export function issueToError(error: z.ZodError): HearthError {
  const issue = error.issues[0];
  if (!issue) return new HearthError("invalid_request", "Invalid request body.");
  return fieldError(issue.path, issue.message);
}

/** A limit the body is over, as a 400 naming the field. */
export function limitToError(over: LimitViolation): HearthError {
  return fieldError(over.path, over.message);
}

/**
 * Validates a parsed JSON body as a chat completion request. Throws HearthError(400) naming the
 * field. The count and depth limits come first: the schema and everything after it may recurse.
 */
export function parseChatRequest(body: unknown): ChatRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HearthError("invalid_request", "The request body must be a JSON object.");
  }
  const over = chatLimitViolation(body as Record<string, unknown>);
  if (over) throw limitToError(over);
  const result = chatRequestSchema.safeParse(body);
  if (!result.success) throw issueToError(result.error);
  return result.data;
}

/**
 * What a request demands of its answer, read once from the common chat request (every API's request
 * is translated to it: Messages' tool_choice any/tool arrive as required / a named function, Responses'
 * text.format as response_format). Pure.
 */
import { requestedMaxTokens, type ChatRequest } from "../openai/request.js";

export type JsonSchema = Record<string, unknown>;

export interface ToolSpec {
  /** The tool's parameters schema; absent means any JSON object. */
  schema: JsonSchema | undefined;
  /** The tool's `strict` flag: objects without `additionalProperties` are closed. */
  strict: boolean;
}

export type ToolChoice = "none" | "auto" | "required" | { name: string };

export type JsonFormat =
  | { type: "json_object" }
  | { type: "json_schema"; schema: JsonSchema | undefined; strict: boolean };

export interface Contract {
  /** The offered tools by name; empty when none were offered. */
  tools: ReadonlyMap<string, ToolSpec>;
  /** "auto" when the request says nothing. */
  toolChoice: ToolChoice;
  /** response_format json_object / json_schema; undefined for text. */
  format: JsonFormat | undefined;
  /** The client set max_tokens (or its spellings): a `length` finish is then the client's own cut. */
  clientMaxTokens: boolean;
}

export function contractOf(req: ChatRequest): Contract {
  const tools = new Map<string, ToolSpec>();
  for (const t of req.tools ?? []) tools.set(t.function.name, { schema: t.function.parameters, strict: t.function.strict === true });
  const choice = req.tool_choice;
  const toolChoice: ToolChoice = choice == null ? "auto" : typeof choice === "string" ? choice : { name: choice.function.name };
  const rf = req.response_format;
  let format: JsonFormat | undefined;
  if (rf?.type === "json_object") format = { type: "json_object" };
  else if (rf?.type === "json_schema") format = { type: "json_schema", schema: rf.json_schema.schema, strict: rf.json_schema.strict === true };
  return { tools, toolChoice, format, clientMaxTokens: requestedMaxTokens(req) !== undefined };
}

/** Tools were offered and may be called. */
export const toolsOffered = (c: Contract): boolean => c.tools.size > 0 && c.toolChoice !== "none";

/** The answer must be a tool call: tool_choice required or a named function. */
export const callForced = (c: Contract): boolean => toolsOffered(c) && c.toolChoice !== "auto";

/**
 * The answer has a form to check beyond "not degenerate": tools offered, or JSON asked for. Only such
 * answers are held back in a stream; every answer still gets the degenerate checks.
 */
export const carriesContract = (c: Contract): boolean => toolsOffered(c) || c.format !== undefined;

/** Which pass rate an answer to this request counts in: tool requests, structured output, or neither. */
export type RequestFamily = "tools" | "structured" | "plain";

export const requestFamily = (c: Contract): RequestFamily => (toolsOffered(c) ? "tools" : c.format !== undefined ? "structured" : "plain");

/**
 * The vocabulary of answer checks: an answer in the common shape (OpenAI's chat completion message,
 * which every API's answer from home is built from), what a check found, and the codes it names.
 */

/** A tool call as OpenAI's chat completion carries it: arguments are JSON text. */
export interface AnswerToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** OpenAI's finish reasons; undefined while an answer is still arriving. */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "function_call";

/** An answer, whole: what CompletionBuilder accumulates from the chunks. */
export interface Answer {
  text: string;
  toolCalls: readonly AnswerToolCall[];
  finishReason: FinishReason | undefined;
  /** OpenAI's refusal text (structured outputs); a refusal is an answer, never "empty". Default: "". */
  refusal?: string;
}

/** What a failed check names: in traces, headers, explain, stats. */
export const CHECK_CODES = [
  /** A call names a tool the request did not offer. */
  "tool_unknown",
  /** A call's arguments are not JSON (or not a JSON object). */
  "tool_args_json",
  /** A call's arguments do not validate against the tool's parameters schema. */
  "tool_args_schema",
  /** tool_choice required / a named function / none was not obeyed. */
  "tool_choice_ignored",
  /** The text is a tool call in one of the known shapes, but it cannot be repaired exactly. */
  "tool_call_as_text",
  /** response_format asked for JSON and the text is not JSON (nor JSON in fences or after a preamble). */
  "json_parse",
  /** The JSON does not validate against response_format's schema. */
  "json_schema",
  /** No text, no tool call, no refusal. */
  "empty",
  /** The same span repeated to the end of the answer (a loop), cut by the length limit or caught mid-stream. */
  "repetition",
  /** Cut by home's own limit (finish_reason length) when the client set no max_tokens. */
  "context_cut",
] as const;
export type CheckCode = (typeof CHECK_CODES)[number];

/** What an exact repair did. */
export const REPAIR_CODES = [
  /** A tool call written as text became a proper tool call. */
  "tool_call_from_text",
  /** Tool arguments were a JSON string holding the JSON object (encoded twice). */
  "tool_args_unwrapped",
  /** Empty tool arguments became `{}` (the tool takes no required argument). */
  "tool_args_empty",
  /** JSON in a ``` fence, the fence (and any prose around it) dropped. */
  "json_unfenced",
  /** JSON after a prose preamble, the preamble dropped. */
  "json_preamble",
] as const;
export type RepairCode = (typeof REPAIR_CODES)[number];

/** The checks, grouped as the learned pass rates count them. */
export type CheckFamily = "tools" | "structured" | "degenerate";

export function familyOf(code: CheckCode): CheckFamily {
  if (code.startsWith("tool_")) return "tools";
  if (code.startsWith("json_")) return "structured";
  return "degenerate";
}

export type CheckResult =
  | { ok: true; repaired?: undefined }
  /** Passed after an exact repair: `repaired` is the answer to send instead. */
  | { ok: true; repaired: Answer; repair: RepairCode }
  /** `detail` is short and holds no answer or prompt text: it goes to traces and headers. */
  | { ok: false; check: CheckCode; detail: string };

export type CheckFailure = Extract<CheckResult, { ok: false }>;

export const pass: CheckResult = { ok: true };
export const fail = (check: CheckCode, detail: string): CheckFailure => ({ ok: false, check, detail });

/**
 * Checks of the tool calls in an answer: each names an offered tool, its arguments are a JSON object
 * that validates against the tool's parameters schema, and the calls obey tool_choice. Two exact
 * repairs of arguments: JSON encoded twice (a string holding the object) and empty arguments. Pure.
 */
import type { Contract, ToolSpec } from "./contract.js";
import { isObject, tryParse } from "./json.js";
import { validateJson } from "./schema.js";
import { fail, type AnswerToolCall, type CheckFailure, type RepairCode } from "./types.js";

export type CallsVerdict = { ok: true; calls: AnswerToolCall[]; repair: RepairCode | undefined } | CheckFailure;

type ArgsVerdict = { ok: true; args: string; repair: RepairCode | undefined } | CheckFailure;

/** The arguments as a JSON object, and how (if at all) they had to be repaired to become one. */
export function readArguments(raw: string): { value: Record<string, unknown>; repair: RepairCode | undefined } | undefined {
  if (raw.trim() === "") return { value: {}, repair: "tool_args_empty" };
  const p = tryParse(raw);
  if (!p) return undefined;
  if (isObject(p.value)) return { value: p.value, repair: undefined };
  if (typeof p.value === "string") {
    const inner = tryParse(p.value);
    if (inner && isObject(inner.value)) return { value: inner.value, repair: "tool_args_unwrapped" };
  }
  return undefined;
}

/** One call's arguments against its tool: the arguments to send (repaired or as they came). */
export function checkArguments(name: string, raw: string, tool: ToolSpec): ArgsVerdict {
  const read = readArguments(raw);
  if (!read) return fail("tool_args_json", `${name}: arguments are not a JSON object`);
  const v = validateJson(read.value, tool.schema, tool.strict);
  if (!v.ok) return fail("tool_args_schema", `${name}: ${v.detail}`);
  return { ok: true, args: read.repair ? JSON.stringify(read.value) : raw, repair: read.repair };
}

/** Whether these calls obey tool_choice (an answer without calls is judged by the caller). */
function choiceObeyed(calls: readonly AnswerToolCall[], c: Contract): CheckFailure | undefined {
  const choice = c.toolChoice;
  if (choice === "none" && calls.length > 0) return fail("tool_choice_ignored", "tool_choice none, but the answer calls a tool");
  if (typeof choice === "object" && calls.some((x) => x.function.name !== choice.name)) {
    return fail("tool_choice_ignored", `tool_choice names ${choice.name}, but the answer calls another tool`);
  }
  return undefined;
}

export function checkToolCalls(calls: readonly AnswerToolCall[], c: Contract): CallsVerdict {
  const ignored = choiceObeyed(calls, c);
  if (ignored) return ignored;
  const out: AnswerToolCall[] = [];
  let repair: RepairCode | undefined;
  for (const call of calls) {
    const name = call.function.name;
    const tool = c.tools.get(name);
    if (!tool) return fail("tool_unknown", `${safeName(name)} was not offered`);
    const v = checkArguments(name, call.function.arguments, tool);
    if (!v.ok) return v;
    repair ??= v.repair;
    out.push(v.args === call.function.arguments ? call : { ...call, function: { name, arguments: v.args } });
  }
  return { ok: true, calls: out, repair };
}

/** A name the model made up, fit for a trace: identifier characters only, short. */
export const safeName = (name: string): string => name.replace(/[^\w.-]/g, "?").slice(0, 64) || "(no name)";

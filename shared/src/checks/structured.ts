/**
 * Structured output: response_format json_object / json_schema (Responses' text.format arrives as
 * it). The text must be JSON — found in a fence or after a preamble is an exact repair — that is an
 * object for json_object, and validates against the schema for json_schema. Pure.
 */
import type { JsonFormat } from "./contract.js";
import { findJson, isObject } from "./json.js";
import { validateJson } from "./schema.js";
import { fail, type CheckFailure, type RepairCode } from "./types.js";

export type StructuredVerdict = { ok: true; text: string; repair: RepairCode | undefined } | CheckFailure;

export function checkStructured(text: string, format: JsonFormat): StructuredVerdict {
  const found = findJson(text);
  if (!found) return fail("json_parse", text.trim() === "" ? "no text" : "the text is not JSON");
  if (format.type === "json_object" && !isObject(found.value)) return fail("json_schema", "json_object asked for, and the JSON is not an object");
  if (format.type === "json_schema") {
    const v = validateJson(found.value, format.schema, format.strict);
    if (!v.ok) return fail("json_schema", v.detail);
  }
  if (found.how === "as_is") return { ok: true, text, repair: undefined };
  return { ok: true, text: found.text, repair: found.how === "fence" ? "json_unfenced" : "json_preamble" };
}

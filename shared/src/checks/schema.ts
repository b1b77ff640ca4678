/**
 * JSON Schema validation that runs in a Worker: @cfworker/json-schema interprets the schema (no code
 * generated at run time, which workerd forbids; Ajv's compiled validators cannot run there). Pure.
 */
import { Validator, type Schema, type SchemaDraft } from "@cfworker/json-schema";
import type { JsonSchema } from "./contract.js";
import { isObject } from "./json.js";

export type SchemaVerdict = { ok: true } | { ok: false; detail: string };

/** The draft a schema names in `$schema`; 2020-12 when it names none (what OpenAI's and Anthropic's docs use). */
export function draftOf(schema: JsonSchema): SchemaDraft {
  const id = typeof schema.$schema === "string" ? schema.$schema : "";
  if (id.includes("draft-04")) return "4";
  if (id.includes("draft-06") || id.includes("draft-07")) return "7";
  if (id.includes("2019-09")) return "2019-09";
  return "2020-12";
}

/** Keywords whose values are one subschema, a list of them, or a map of them. */
const ONE = ["items", "additionalItems", "not", "if", "then", "else", "contains", "propertyNames", "unevaluatedItems"];
const LIST = ["anyOf", "allOf", "oneOf", "prefixItems"];
const MAP = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];

/**
 * Strict mode as OpenAI means it, as far as a validator can hold an answer to it: an object schema
 * that lists properties and says nothing of others admits no others. A copy; the request's schema is
 * untouched (it is also sent on to the next target).
 */
export function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = { ...schema };
  for (const k of ONE) if (k in out) out[k] = closeObjects(out[k]);
  for (const k of LIST) if (Array.isArray(out[k])) out[k] = (out[k] as unknown[]).map(closeObjects);
  for (const k of MAP) {
    const m = out[k];
    if (isObject(m)) out[k] = Object.fromEntries(Object.entries(m).map(([name, s]) => [name, closeObjects(s)]));
  }
  if (isObject(out.properties) && out.additionalProperties === undefined && out.patternProperties === undefined) out.additionalProperties = false;
  return out;
}

const CONTAINERS: ReadonlySet<string> = new Set(["properties", "items", "prefixItems", "false", "additionalItems", "$ref", "allOf"]);

/** A validator per schema object (a stream checks several calls to one tool against one schema). */
const validators = new WeakMap<object, { strict?: Validator; loose?: Validator }>();

function validatorFor(schema: JsonSchema, strict: boolean): Validator {
  const entry = validators.get(schema) ?? {};
  validators.set(schema, entry);
  const key = strict ? "strict" : "loose";
  const body = (strict ? closeObjects(schema) : schema) as Schema;
  return (entry[key] ??= new Validator(body, draftOf(schema), true));
}

/**
 * Whether `value` validates against `schema`. The detail names where and which keyword, never the
 * value (answers and prompts stay out of traces). A schema the validator cannot read (an unresolvable
 * remote $ref, say) checks nothing: a good answer is not failed for a schema Hearth does not follow.
 */
export function validateJson(value: unknown, schema: JsonSchema | undefined, strict: boolean): SchemaVerdict {
  if (schema === undefined) return { ok: true };
  let result;
  try {
    result = validatorFor(schema, strict).validate(value);
  } catch {
    return { ok: true };
  }
  if (result.valid) return { ok: true };
  // The first error that is not only "a child failed": the keyword that failed, where.
  const e = result.errors.find((x) => !CONTAINERS.has(x.keyword)) ?? result.errors[0];
  const where = (e?.instanceLocation ?? "#").replace(/^#/, "") || "/";
  // A missing property is named by the schema, so naming it tells nothing of the answer.
  const missing = e?.keyword === "required" ? / "([^"]{1,64})"/.exec(e.error)?.[1] : undefined;
  return { ok: false, detail: `${where}: ${e?.keyword ?? "schema"}${missing ? ` "${missing}"` : ""}`.slice(0, 160) };
}

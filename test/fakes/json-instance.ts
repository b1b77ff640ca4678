/**
 * A value that validates against a JSON schema, for fakes that answer as a model constrained to it
 * (Ollama's `format`, a tool's parameters): strings from the prompt, the first of an enum or anyOf,
 * an object's required properties (all of them when it names none), as many array items as minItems
 * asks (at least one).
 * Covers the schemas clients send (OpenAI strict, Claude Code's tools); not all of JSON Schema.
 */
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

/** `#/$defs/x` or `#/definitions/x` within the root schema. */
function resolve(ref: string, root: Json): unknown {
  let at: unknown = root;
  for (const part of ref.replace(/^#\/?/, "").split("/").filter(Boolean)) at = isObject(at) ? at[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  return at;
}

function typeOf(s: Json): string | undefined {
  if (Array.isArray(s.type)) return (s.type as string[]).find((t) => t !== "null") ?? "null";
  if (typeof s.type === "string") return s.type;
  if (isObject(s.properties)) return "object";
  if (s.items !== undefined) return "array";
  return undefined;
}

function stringFor(s: Json, text: string): string {
  const min = typeof s.minLength === "number" ? s.minLength : 0;
  const max = typeof s.maxLength === "number" ? s.maxLength : Infinity;
  const base = s.format === "date-time" ? "2025-01-15T10:00:00Z" : s.format === "date" ? "2025-01-15" : s.format === "uri" ? "https://example.com/" : s.format === "email" ? "a@example.com" : text || "x";
  return base.padEnd(min, "x").slice(0, max);
}

export function instanceOf(schema: unknown, text: string, root: unknown = schema, depth = 0): unknown {
  if (!isObject(schema) || depth > 16) return {};
  const r = isObject(root) ? root : {};
  if (typeof schema.$ref === "string") return instanceOf(resolve(schema.$ref, r), text, root, depth + 1);
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const alt = (schema.anyOf ?? schema.oneOf) as unknown[] | undefined;
  if (Array.isArray(alt) && alt.length > 0) return instanceOf(alt[0], text, root, depth + 1);
  if (Array.isArray(schema.allOf)) return Object.assign({}, ...schema.allOf.map((s) => instanceOf(s, text, root, depth + 1)));
  switch (typeOf(schema)) {
    case "object": {
      const props = isObject(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required) ? (schema.required as string[]) : undefined;
      const keys = Object.keys(props).filter((k) => !required || required.includes(k));
      return Object.fromEntries(keys.map((k) => [k, instanceOf(props[k], text, root, depth + 1)]));
    }
    case "array": {
      const n = Math.max(1, typeof schema.minItems === "number" ? schema.minItems : 1);
      return Array.from({ length: n }, () => instanceOf(schema.items, text, root, depth + 1));
    }
    case "string":
      return stringFor(schema, text);
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 1;
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return {};
  }
}

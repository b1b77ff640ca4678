import { describe, expect, it } from "vitest";
import { HearthError } from "../errors.js";
import { CHAT_LIMITS, chatLimitViolation, depthViolation, fieldOf } from "./limits.js";
import { parseChatRequest } from "./validate.js";

const base = { model: "auto", messages: [{ role: "user", content: "hi" }] };

/** An array nested `depth` levels deep: [] is 1, [[]] is 2. */
function nestedArray(depth: number): unknown[] {
  let v: unknown[] = [];
  for (let i = 1; i < depth; i++) v = [v];
  return v;
}

/** A JSON schema whose JSON is `depth` levels deep: `{type}` is 1, each `properties.a` adds 2. */
function nestedSchema(depth: number): Record<string, unknown> {
  let v: Record<string, unknown> = depth % 2 === 1 ? { type: "string" } : { type: "array", items: {} };
  for (let d = depth % 2 === 1 ? 1 : 2; d < depth; d += 2) v = { type: "object", properties: { a: v } };
  return v;
}

function refusal(body: object): { param: string | undefined; message: string; code: string } {
  try {
    parseChatRequest(body);
  } catch (err) {
    expect(err).toBeInstanceOf(HearthError);
    const e = err as HearthError;
    expect(e.status).toBe(400);
    return { param: e.param, message: e.message, code: e.code };
  }
  throw new Error("the body was accepted");
}

const withSchema = (schema: object) => ({ ...base, response_format: { type: "json_schema", json_schema: { name: "s", schema } } });
const withTools = (...parameters: object[]) => ({
  ...base,
  tools: parameters.map((p, i) => ({ type: "function", function: { name: `f${i}`, parameters: p } })),
});

describe("depthViolation", () => {
  it("measures {} and [] as one level each, the root included", () => {
    expect(depthViolation({}, 1)).toBeUndefined();
    expect(depthViolation({ a: {} }, 1)).toEqual(["a"]);
    expect(depthViolation("text", 0)).toBeUndefined();
    expect(depthViolation(nestedArray(10), 10)).toBeUndefined();
    expect(depthViolation(nestedArray(11), 10)).toEqual(Array(10).fill(0));
  });

  it("names the first branch that is too deep, in document order", () => {
    const body = { a: [1, { b: 2 }], c: [{ d: [[]] }], e: [[[[]]]] };
    expect(depthViolation(body, 4)).toEqual(["c", 0, "d", 0]);
  });

  it("does not enter skipped containers", () => {
    const deep = nestedArray(50);
    expect(depthViolation({ x: deep }, 10, new Set([deep]))).toBeUndefined();
  });

  it("walks 100,000 levels without recursing", () => {
    expect(depthViolation(nestedArray(100_000), 100_000)).toBeUndefined();
    expect(depthViolation(nestedArray(100_000), 64)).toHaveLength(64);
  });
});

describe("fieldOf", () => {
  it("cuts a path to the field a client knows", () => {
    expect(fieldOf(["messages", 2, "content", 0, "x"])).toEqual(["messages", 2, "content"]);
    expect(fieldOf(["tools", 3, "function", "description"])).toEqual(["tools", 3, "function"]);
    expect(fieldOf(["metadata", "a", 0])).toEqual(["metadata"]);
    expect(fieldOf(["stop", 1, 0])).toEqual(["stop", 1]);
  });
});

describe("chat body depth", () => {
  it.each([
    ["response_format.json_schema.schema", withSchema],
    ["tools[0].function.parameters", (s: object) => withTools(s)],
  ])("accepts %s exactly at the limit and names it one level over", (param, make) => {
    expect(depthViolation(nestedSchema(CHAT_LIMITS.schemaDepth), CHAT_LIMITS.schemaDepth)).toBeUndefined();
    expect(() => parseChatRequest(make(nestedSchema(CHAT_LIMITS.schemaDepth)))).not.toThrow();
    const over = refusal(make(nestedSchema(CHAT_LIMITS.schemaDepth + 1)));
    expect(over).toMatchObject({ param, code: "invalid_request" });
    expect(over.message).toBe(`Invalid value for '${param}': nested deeper than the limit of ${CHAT_LIMITS.schemaDepth} levels.`);
  });

  it("names the tool whose parameters are too deep", () => {
    const ok = nestedSchema(3);
    expect(refusal(withTools(ok, ok, ok, nestedSchema(10_000))).param).toBe("tools[3].function.parameters");
  });

  it.each([2_500, 10_000, 100_000])("refuses a schema %i levels deep with a 400, not a stack overflow", (depth) => {
    expect(refusal(withSchema({ a: nestedArray(depth) })).param).toBe("response_format.json_schema.schema");
  });

  it("limits the rest of the body, counted from the body, and names the field", () => {
    const parts = (depth: number) => [{ type: "text", text: "hi", extra: nestedArray(depth) }];
    // body 1, messages 2, message 3, content 4, part 5, extra 6…
    const atLimit = { ...base, messages: [{ role: "user", content: parts(CHAT_LIMITS.bodyDepth - 5) }] };
    expect(chatLimitViolation(atLimit)).toBeUndefined();
    const over = { ...base, messages: [base.messages[0], { role: "user", content: parts(CHAT_LIMITS.bodyDepth - 4) }] };
    expect(refusal(over).param).toBe("messages[1].content");
    expect(refusal({ ...base, metadata: { a: nestedArray(1_000) } }).param).toBe("metadata");
    expect(refusal({ ...base, some_future_field: nestedArray(1_000) }).param).toBe("some_future_field[0]");
  });

  it("leaves the schemas to their own limit when measuring the body", () => {
    // A tool's parameters start 5 levels down; at the schema limit the whole body is deeper than bodyDepth.
    expect(chatLimitViolation(withTools(nestedSchema(CHAT_LIMITS.schemaDepth)))).toBeUndefined();
  });
});

describe("chat body counts", () => {
  const many = <T,>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
  const tool = (i: number) => ({ type: "function", function: { name: `f${i}` } });
  const message = () => ({ role: "user", content: "hi" });
  const part = () => ({ type: "text", text: "x" });

  it.each([
    ["messages", (n: number) => ({ ...base, messages: many(n, message) }), CHAT_LIMITS.messages],
    ["tools", (n: number) => ({ ...base, tools: many(n, tool) }), CHAT_LIMITS.tools],
    ["stop", (n: number) => ({ ...base, stop: many(n, String) }), CHAT_LIMITS.stop],
    ["messages[0].content", (n: number) => ({ ...base, messages: [{ role: "user", content: many(n, part) }] }), CHAT_LIMITS.contentParts],
    ["metadata", (n: number) => ({ ...base, metadata: Object.fromEntries(many(n, (i): [string, string] => [`k${i}`, "v"])) }), CHAT_LIMITS.metadataEntries],
  ])("accepts %s at the limit and refuses one more, saying the limit", (param, make, limit) => {
    expect(chatLimitViolation(make(limit))).toBeUndefined();
    const over = refusal(make(limit + 1));
    expect(over.param).toBe(param);
    expect(over.message).toContain(`over the limit of ${limit}`);
  });

  it("counts only fields of the right type, leaving the wrong type to the schema", () => {
    expect(chatLimitViolation({ ...base, metadata: "x".repeat(100) })).toBeUndefined();
    expect(chatLimitViolation({ ...base, metadata: null, tools: "many", stop: "END" })).toBeUndefined();
  });
});

describe("a huge but shallow body", () => {
  it("passes the limits (5 MB of messages and tools, every one within them)", () => {
    const text = "word ".repeat(200);
    const body = {
      ...base,
      messages: Array.from({ length: 5_000 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: [{ type: "text", text }] })),
      tools: Array.from({ length: 128 }, (_, i) => ({
        type: "function",
        function: { name: `f${i}`, parameters: { type: "object", properties: Object.fromEntries(Array.from({ length: 50 }, (_, j) => [`p${j}`, { type: "string" }])) } },
      })),
    };
    expect(JSON.stringify(body).length).toBeGreaterThan(5_000_000);
    // Its speed is the walk's design (one pass, no recursion), not something a unit test can time.
    expect(chatLimitViolation(body)).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { closeObjects, draftOf, validateJson } from "./schema.js";

const todo = {
  type: "object",
  properties: {
    todos: {
      type: "array",
      items: {
        type: "object",
        properties: { content: { type: "string", minLength: 1 }, status: { type: "string", enum: ["pending", "done"] } },
        required: ["content", "status"],
      },
    },
  },
  required: ["todos"],
  $schema: "http://json-schema.org/draft-07/schema#",
};

describe("validateJson", () => {
  it("passes a valid value and names where and which keyword for an invalid one, not the value", () => {
    expect(validateJson({ todos: [{ content: "x", status: "done" }] }, todo, false)).toEqual({ ok: true });
    expect(validateJson({ todos: [{ content: "secret plan", status: "later" }] }, todo, false)).toEqual({ ok: false, detail: "/todos/0/status: enum" });
    expect(validateJson({}, todo, false)).toEqual({ ok: false, detail: '/: required "todos"' });
  });

  it("strict closes objects that say nothing of other properties; loose admits them", () => {
    const value = { todos: [], extra: 1 };
    expect(validateJson(value, todo, false)).toEqual({ ok: true });
    expect(validateJson(value, todo, true)).toEqual({ ok: false, detail: "/: additionalProperties" });
  });

  it("follows local $refs (definitions and $defs)", () => {
    const schema = { $defs: { n: { type: "integer" } }, type: "object", properties: { a: { $ref: "#/$defs/n" } } };
    expect(validateJson({ a: 1 }, schema, false).ok).toBe(true);
    expect(validateJson({ a: "1" }, schema, false)).toEqual({ ok: false, detail: "/a: type" });
  });

  it("checks nothing against a schema it cannot read, and anything against none", () => {
    expect(validateJson({ a: 1 }, { $ref: "https://example.com/remote.json" }, false)).toEqual({ ok: true });
    expect(validateJson("anything", undefined, true)).toEqual({ ok: true });
  });

  it("leaves the request's schema untouched", () => {
    const before = JSON.stringify(todo);
    validateJson({ todos: [] }, todo, true);
    expect(JSON.stringify(todo)).toBe(before);
    expect(closeObjects(todo)).toMatchObject({ additionalProperties: false, properties: { todos: { items: { additionalProperties: false } } } });
  });

  it("reads the draft from $schema", () => {
    expect(draftOf(todo)).toBe("7");
    expect(draftOf({ $schema: "http://json-schema.org/draft-04/schema#" })).toBe("4");
    expect(draftOf({})).toBe("2020-12");
  });
});

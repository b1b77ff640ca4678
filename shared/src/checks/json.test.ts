import { describe, expect, it } from "vitest";
import { findJson } from "./json.js";

describe("findJson", () => {
  it("takes the whole text as it is, whitespace trimmed", () => {
    expect(findJson('  {"a": 1}\n')).toEqual({ value: { a: 1 }, text: '{"a": 1}', how: "as_is", around: "" });
    expect(findJson("[1, 2]")?.value).toEqual([1, 2]);
  });

  it("finds the one fenced block that parses, with the prose around it set apart", () => {
    const text = 'Here you go:\n```json\n{"a": [1, 2]}\n```\nAnything else?';
    expect(findJson(text)).toEqual({ value: { a: [1, 2] }, text: '{"a": [1, 2]}', how: "fence", around: "Here you go:\n\nAnything else?" });
    expect(findJson('```\n{"b": true}```')?.value).toEqual({ b: true });
  });

  it("refuses two fenced blocks that both parse: which one is the answer is a guess", () => {
    expect(findJson('```json\n{"a": 1}\n```\nor\n```json\n{"a": 2}\n```')).toBeUndefined();
  });

  it("drops a prose preamble when the JSON runs to the end", () => {
    expect(findJson('Sure! Here is the JSON:\n{"name": "x"}')).toMatchObject({ value: { name: "x" }, how: "preamble", around: "Sure! Here is the JSON:" });
    expect(findJson('The answer is {"n": 3}')).toMatchObject({ value: { n: 3 }, how: "preamble" });
  });

  it("edits no JSON: a trailing comma, a postamble, single quotes stay failures", () => {
    expect(findJson('{"a": 1,}')).toBeUndefined();
    expect(findJson('{"a": 1}\nHope this helps!')).toBeUndefined();
    expect(findJson("{'a': 1}")).toBeUndefined();
    expect(findJson("no json here")).toBeUndefined();
    expect(findJson("")).toBeUndefined();
  });
});

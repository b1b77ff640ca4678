import { HearthError } from "@hearth/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseJsonBody } from "./body.js";

const post = (text: string) => new Request("http://hearth.test/", { method: "POST", body: text, headers: { "content-length": String(text.length) } });
const brackets = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

async function failure(p: Promise<unknown>): Promise<HearthError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(HearthError);
  return err as HearthError;
}

afterEach(() => vi.restoreAllMocks());

describe("parseJsonBody", () => {
  it("parses 100,000 levels of nesting (a 200 KB body): V8's parser does not recurse", async () => {
    const body = await parseJsonBody(post(brackets(100_000)), 1024 * 1024);
    expect(Array.isArray(body)).toBe(true);
  });

  it("turns a RangeError from the parser into 400 invalid_json, not a 500", async () => {
    vi.spyOn(JSON, "parse").mockImplementation(() => {
      throw new RangeError("Maximum call stack size exceeded");
    });
    const err = await failure(parseJsonBody(post(brackets(10))));
    expect(err).toMatchObject({ code: "invalid_json", status: 400 });
    expect(err.message).toBe("The request body is not valid JSON (nested too deeply to parse).");
  });

  it("still reports a syntax error as the parser words it", async () => {
    const err = await failure(parseJsonBody(post("{")));
    expect(err.code).toBe("invalid_json");
    expect(err.message).toMatch(/^The request body is not valid JSON \(.+\)\.$/);
  });

  it("caps nesting when asked, naming the top-level field", async () => {
    const text = `{"name":"a","policy":{"rules":${brackets(1_000)}}}`;
    const err = await failure(parseJsonBody(post(text), 64 * 1024, { maxDepth: 16 }));
    expect(err).toMatchObject({ code: "invalid_request", status: 400, param: "policy" });
    expect(err.message).toBe("Invalid value for 'policy': nested deeper than the limit of 16 levels.");
    await expect(parseJsonBody(post(`{"a":${brackets(15)}}`), 1024, { maxDepth: 16 })).resolves.toEqual({ a: expect.any(Array) });
  });
});

import { describe, expect, it } from "vitest";
import { HearthError } from "../errors.js";
import { EMBEDDING_LIMITS, inputCount, parseEmbeddingsRequest } from "./embeddings.js";

function refusal(body: unknown): { param: string | undefined; message: string } {
  try {
    parseEmbeddingsRequest(body);
  } catch (err) {
    expect(err).toBeInstanceOf(HearthError);
    expect((err as HearthError).status).toBe(400);
    return { param: (err as HearthError).param, message: (err as HearthError).message };
  }
  throw new Error("expected a 400");
}

describe("parseEmbeddingsRequest", () => {
  it("takes a string, an array of strings, token ids and arrays of token ids, as lists of inputs", () => {
    expect(parseEmbeddingsRequest({ model: "m", input: "hi" }).inputs).toEqual({ kind: "text", texts: ["hi"] });
    expect(parseEmbeddingsRequest({ model: "m", input: ["a", "b"] }).inputs).toEqual({ kind: "text", texts: ["a", "b"] });
    expect(parseEmbeddingsRequest({ model: "m", input: [1, 2, 3] }).inputs).toEqual({ kind: "tokens", tokens: [[1, 2, 3]] });
    expect(parseEmbeddingsRequest({ model: "m", input: [[1], [2, 3]] }).inputs).toEqual({ kind: "tokens", tokens: [[1], [2, 3]] });
    expect(inputCount(parseEmbeddingsRequest({ model: "m", input: [[1], [2, 3]] }).inputs)).toBe(2);
  });

  it("defaults to float with the model's own dimensions, and keeps dimensions, encoding_format and user", () => {
    expect(parseEmbeddingsRequest({ model: "m", input: "x", unknown: 1 })).toEqual({ model: "m", inputs: { kind: "text", texts: ["x"] }, dimensions: undefined, encodingFormat: "float", user: undefined });
    expect(parseEmbeddingsRequest({ model: "m", input: "x", dimensions: 256, encoding_format: "base64", user: "u1" })).toMatchObject({ dimensions: 256, encodingFormat: "base64", user: "u1" });
    expect(parseEmbeddingsRequest({ model: "m", input: "x", dimensions: null, encoding_format: null }).encodingFormat).toBe("float");
  });

  it("names the field at fault", () => {
    expect(refusal({ input: "x" }).param).toBe("model");
    expect(refusal({ model: "m" })).toEqual({ param: "input", message: "Invalid value for 'input': is required." });
    expect(refusal({ model: "m", input: "" }).param).toBe("input");
    expect(refusal({ model: "m", input: [] }).param).toBe("input");
    expect(refusal({ model: "m", input: { text: "x" } }).param).toBe("input");
    expect(refusal({ model: "m", input: ["a", "", "c"] })).toEqual({ param: "input[1]", message: "Invalid value for 'input[1]': must not be empty." });
    expect(refusal({ model: "m", input: ["a", 3] }).param).toBe("input[1]");
    expect(refusal({ model: "m", input: [[1, 2], [3, -1]] }).param).toBe("input[1][1]");
    expect(refusal({ model: "m", input: [[1], "x"] }).param).toBe("input[1]");
    expect(refusal({ model: "m", input: [[1], []] }).param).toBe("input[1]");
    expect(refusal({ model: "m", input: [1, 2.5] }).param).toBe("input[1]");
    expect(refusal({ model: "m", input: "x", dimensions: 0 }).param).toBe("dimensions");
    expect(refusal({ model: "m", input: "x", dimensions: 1.5 }).param).toBe("dimensions");
    expect(refusal({ model: "m", input: "x", encoding_format: "int8" }).param).toBe("encoding_format");
    expect(refusal([1]).param).toBeUndefined();
  });

  it("limits the batch and each token array", () => {
    const many = Array.from({ length: EMBEDDING_LIMITS.inputs + 1 }, () => "x");
    expect(refusal({ model: "m", input: many })).toEqual({ param: "input", message: `Invalid value for 'input': ${EMBEDDING_LIMITS.inputs + 1} inputs, over the limit of ${EMBEDDING_LIMITS.inputs}.` });
    expect(parseEmbeddingsRequest({ model: "m", input: many.slice(1) }).inputs).toMatchObject({ kind: "text" });
    const long = Array.from({ length: EMBEDDING_LIMITS.tokensPerInput + 1 }, () => 7);
    expect(refusal({ model: "m", input: [[1], long] }).param).toBe("input[1]");
  });
});

import { describe, expect, it } from "vitest";
import { fnv1a } from "./hash.js";
import { TASK_KINDS } from "./kinds.js";
import { decodeBase64, encodeBase64, modelFromWeights } from "./model.js";
import { FEATURE_VERSION, featurizeText, type FeatureSink } from "./ngrams.js";
import { WEIGHTS } from "./weights.js";

function collect(text: string): number[] {
  const hashes: number[] = [];
  const sink: FeatureSink = { ngram: (h) => hashes.push(h), dense: () => undefined };
  featurizeText(text, 1, sink);
  return hashes;
}

describe("fnv1a", () => {
  it("matches the published FNV-1a 32-bit test vectors", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });
});

describe("base64", () => {
  it("round-trips every length and byte value", () => {
    for (let n = 0; n < 8; n++) {
      const bytes = Uint8Array.from({ length: n * 37 + (n % 3) }, (_, i) => (i * 89 + n) & 0xff);
      expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
    }
  });
});

describe("featurizeText", () => {
  it("emits char 3-grams and words", () => {
    // "hi there" → 9 chars with the closing space: 9 trigrams; 2 words. "f(x)" → 5 trigrams,
    // the words f and x and the symbols ( and ).
    expect(collect("hi there")).toHaveLength(11);
    expect(collect("f(x)")).toHaveLength(9);
  });
  it("ignores case, digit values and the width of whitespace", () => {
    expect(collect("Call me at 555 1234")).toEqual(collect("call  me at 999 0000"));
  });
  it("is deterministic", () => {
    const text = "Why does `f(x)` print None?\n```py\nprint(print(1))\n```";
    expect(collect(text)).toEqual(collect(text));
  });
});

describe("weights.ts", () => {
  it("was generated for these features and kinds", () => {
    expect(WEIGHTS.featureVersion).toBe(FEATURE_VERSION);
    expect(WEIGHTS.kinds).toEqual(TASK_KINDS);
    expect(WEIGHTS.bias).toHaveLength(TASK_KINDS.length);
  });
  it("decodes to one int8 weight per bucket and kind", () => {
    const model = modelFromWeights(WEIGHTS);
    expect(model.weights).toBeInstanceOf(Int8Array);
    expect(model.weights.length).toBe((1 << WEIGHTS.bits) * TASK_KINDS.length);
    expect(model.weights.some((w) => w !== 0)).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { decodeVector, encodeVector, shapeVector } from "./vectors.js";

/** What Node's Buffer (an independent implementation) makes of these float32 values, little-endian. */
const BY_NODE: [number[], string][] = [
  [[], ""],
  [[1], "AACAPw=="],
  [[0.5, -2], "AAAAPwAAAMA="],
  [[0.1, 0.2, 0.3], "zczMPc3MTD6amZk+"],
  [[1e-8, -3.4e38, 7, Number.NaN], "d8wrMp7Jf/8AAOBAAADAfw=="],
];

describe("base64 vectors (little-endian float32, as OpenAI encodes them)", () => {
  it("encodes as Buffer does, for every padding length", () => {
    for (const [values, base64] of BY_NODE) expect(encodeVector(values)).toBe(base64);
    // 1.0f is 00 00 80 3f.
    expect(encodeVector([1])).toBe("AACAPw==");
  });

  it("decodes back to the same float32 values", () => {
    const values = Array.from({ length: 1537 }, (_, i) => Math.sin(i) * 3);
    const back = decodeVector(encodeVector(values));
    expect(back.length).toBe(values.length);
    expect([...back]).toEqual(values.map((v) => Math.fround(v)));
    expect([...decodeVector("AACAPgAAgL8=")]).toEqual([0.25, -1]);
    expect([...decodeVector("")]).toEqual([]);
  });

  it("refuses text that is not base64 of whole float32s", () => {
    expect(() => decodeVector("AAC")).toThrow(RangeError);
    expect(() => decodeVector("AA*A")).toThrow(/invalid base64/);
  });
});

describe("shapeVector", () => {
  const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

  it("scales to unit length", () => {
    const v = shapeVector([3, 4]);
    expect([...v]).toEqual([Math.fround(0.6), Math.fround(0.8)]);
  });

  it("cuts to the dimensions asked for before scaling, as OpenAI's dimensions do", () => {
    const v = shapeVector([3, 4, 12], 2);
    expect(v.length).toBe(2);
    expect(norm(v)).toBeCloseTo(1, 6);
    expect(shapeVector([1, 2], 8).length).toBe(2);
  });

  it("leaves a zero vector zero", () => {
    expect([...shapeVector([0, 0, 0])]).toEqual([0, 0, 0]);
  });
});

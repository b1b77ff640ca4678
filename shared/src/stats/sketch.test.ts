import { describe, expect, it } from "vitest";
import { addToSketch, binOf, mergeSketch, sketchCount, sketchQuantile, type Sketch } from "./sketch.js";

const sketchOf = (values: number[]): Sketch => values.reduce((s, v) => addToSketch(s, v), {} as Sketch);

describe("TTFT sketch", () => {
  it("reads quantiles within 10% of the exact value", () => {
    const values = Array.from({ length: 1000 }, (_, i) => 50 + i * 3); // 50..3047 ms
    const s = sketchOf(values);
    const exact = (q: number) => values[Math.ceil(q * values.length) - 1] as number;
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const got = sketchQuantile(s, q) as number;
      expect(Math.abs(got - exact(q)) / exact(q), `q=${q}`).toBeLessThan(0.1);
    }
  });

  it("merges by adding counts: two halves give the quantiles of the whole", () => {
    const a = sketchOf([10, 20, 30, 4000]);
    const b = sketchOf([15, 25, 5000, 6000]);
    const whole = sketchOf([10, 20, 30, 4000, 15, 25, 5000, 6000]);
    const merged = mergeSketch({ ...a }, b);
    expect(merged).toEqual(whole);
    expect(sketchCount(merged)).toBe(8);
    expect(sketchQuantile(merged, 0.95)).toBe(sketchQuantile(whole, 0.95));
  });

  it("is empty until a value is added; ignores values that are no duration", () => {
    expect(sketchQuantile({}, 0.5)).toBeUndefined();
    expect(sketchOf([Number.NaN, -1, Number.POSITIVE_INFINITY])).toEqual({});
    expect(sketchQuantile(sketchOf([0]), 0.5)).toBe(1);
  });

  it("stays small: 1 ms to 10 minutes in under 75 bins", () => {
    expect(binOf(600_000) - binOf(1)).toBeLessThan(75);
  });
});

import { describe, expect, it } from "vitest";
import { costOf, DEFAULT_PRICES, priceOf, priceTableSchema, type PriceTable } from "./prices.js";

const table: PriceTable = {
  "openai/gpt-4o": { input: 2.5, output: 10 },
  "openai/gpt-4o-mini": { input: 0.15, output: 0.6 },
  "anthropic/claude-sonnet-4": { input: 3, output: 15 },
};

describe("priceOf", () => {
  // [target, the table key whose price it takes (undefined: unpriced)]
  const cases: [string, string | undefined][] = [
    ["openai/gpt-4o", "openai/gpt-4o"],
    ["openai/gpt-4o-mini", "openai/gpt-4o-mini"],
    // A dated snapshot takes its family's price: the longest listed prefix, not the first found.
    ["openai/gpt-4o-mini-2024-07-18", "openai/gpt-4o-mini"],
    ["openai/gpt-4o-2024-08-06", "openai/gpt-4o"],
    ["anthropic/claude-sonnet-4-5", "anthropic/claude-sonnet-4"],
    ["openai/gpt-4", undefined],
    ["openai/o3", undefined],
    ["anthropic/claude-x", undefined],
    ["local/echo:latest", undefined],
    ["", undefined],
  ];
  it.each(cases)("%s → %s", (target, key) => {
    expect(priceOf(table, target)).toBe(key === undefined ? undefined : table[key]);
  });

  it("the prefix search does not depend on the table's key order", () => {
    const reversed: PriceTable = Object.fromEntries(Object.entries(table).reverse());
    expect(priceOf(reversed, "openai/gpt-4o-mini-2024-07-18")).toEqual(table["openai/gpt-4o-mini"]);
  });

  it("the default table prices the models Hearth's docs and defaults name", () => {
    for (const id of ["openai/gpt-4o-mini", "openai/gpt-4.1-mini", "openai/gpt-4.1-nano-2025-04-14", "anthropic/claude-sonnet-4-5", "anthropic/claude-haiku-4-5"]) {
      expect(priceOf(DEFAULT_PRICES, id), id).toBeDefined();
    }
    // gpt-4.1-mini is its own entry, not gpt-4.1's.
    expect(priceOf(DEFAULT_PRICES, "openai/gpt-4.1-mini-2025-04-14")).toEqual(DEFAULT_PRICES["openai/gpt-4.1-mini"]);
  });
});

describe("costOf", () => {
  // [target, prompt tokens, completion tokens, USD]
  const cases: [string, number, number, number | undefined][] = [
    ["openai/gpt-4o", 1_000_000, 0, 2.5],
    ["openai/gpt-4o", 0, 1_000_000, 10],
    ["openai/gpt-4o-mini", 2_000, 1_000, (2_000 * 0.15 + 1_000 * 0.6) / 1e6],
    ["anthropic/claude-sonnet-4-5", 10, 20, (10 * 3 + 20 * 15) / 1e6],
    ["openai/gpt-4o", 0, 0, 0],
    ["anthropic/claude-x", 1_000, 1_000, undefined],
  ];
  it.each(cases)("%s, %i in, %i out → %s USD", (target, prompt, completion, usd) => {
    const cost = costOf(table, target, prompt, completion);
    if (usd === undefined) expect(cost).toBeUndefined();
    else expect(cost).toBeCloseTo(usd, 12);
  });
});

describe("priceTableSchema (the shape of HEARTH_PRICES)", () => {
  it("accepts USD per million tokens, input and output", () => {
    expect(priceTableSchema.safeParse({ "openai/gpt-4o-mini": { input: 1, output: 2 } }).success).toBe(true);
    expect(priceTableSchema.safeParse({}).success).toBe(true);
  });
  it.each([
    ["a negative price", { "openai/x": { input: -1, output: 2 } }],
    ["a missing output price", { "openai/x": { input: 1 } }],
    ["a price as a string", { "openai/x": { input: "1", output: 2 } }],
    ["an unknown field (a typo must not pass silently)", { "openai/x": { input: 1, output: 2, cached: 0.5 } }],
    ["an empty target id", { "": { input: 1, output: 2 } }],
    ["a list", [{ input: 1, output: 2 }]],
  ])("rejects %s", (_, value) => {
    expect(priceTableSchema.safeParse(value).success).toBe(false);
  });
});

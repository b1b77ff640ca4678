import { describe, expect, it } from "vitest";
import { analyze } from "../classify/index.js";
import type { ChatRequest } from "../openai/request.js";
import { calibrationTable, cloudShareThreshold } from "./calibration.js";
import { homeRisk } from "./index.js";
import { addOutcome, EMPTY_TALLY, offsetFrom, type RiskTally } from "./learn.js";
import { parseModelSize, SIZE_SLOPE, sizeShift } from "./size.js";
import { RISK_WEIGHTS } from "./weights.js";
import { RISK_FEATURE_VERSION, RISK_FEATURES } from "./features.js";

const ask = (content: string): ChatRequest => ({ model: "auto", messages: [{ role: "user", content }] });

// A fixed set of prompts of every kind and size: the calibration test routes them.
const FIXED = [
  "hi!",
  "What is the capital of Australia?",
  "Write a haiku about rain on a tin roof.",
  "Summarise this: The meeting moved to Thursday because the room was booked. Bring the Q3 numbers.",
  "Write a Python function that returns the n-th Fibonacci number using memoisation, with tests.",
  "Prove that the square root of 2 is irrational.",
  "If 3x + 7 = 22, what is x? Show your steps.",
  "Three boxes are labelled wrongly: apples, oranges, mixed. You may draw one fruit from one box. How do you relabel them?",
  "Translate into French: the train leaves at noon.",
  "Explain the difference between TCP and UDP for a beginner, with an example of each.",
  "Design a rate limiter for a distributed API gateway. Compare token bucket and sliding window; must handle 10k rps.",
  "```ts\nfunction f(a: number[]) { return a.sort()[0]; }\n```\nWhy does this return the wrong minimum for [10, 9, 1]?",
  "Write a 2,000-word short story about a lighthouse keeper who finds a message in a bottle. Exactly five characters.",
  "List three uses of baking soda.",
  "Given the integral ∫ x^2 e^x dx, compute it and verify by differentiation.",
  "What year did the Berlin Wall fall?",
  "Refactor this SQL: SELECT * FROM orders o, customers c WHERE o.cid = c.id AND c.country = 'DE' ORDER BY o.date DESC;",
  "Can you give me a recipe for pancakes without eggs?",
  "Solve: a train leaves at 3pm at 60 mph, another at 4pm at 80 mph on the same track. When does the second catch up?",
  "Tell me a joke about databases.",
].map((t) => analyze(ask(t)));

describe("homeRisk", () => {
  it("is a probability with evidence, the same for the same request", () => {
    const a = analyze(ask("Write a Python function that parses ISO dates."));
    const r = homeRisk(a);
    expect(r.risk).toBeGreaterThan(0);
    expect(r.risk).toBeLessThan(1);
    expect(r.risk).toBeCloseTo(1 / (1 + Math.exp(-r.logit)), 12);
    expect(r.evidence[0]).toMatch(/^model logit [+−]\d/);
    expect(homeRisk(a)).toEqual(r);
  });

  it("moves with the home model's size and the learned offset, the base logit stays", () => {
    const a = analyze(ask("Explain how a B-tree keeps itself balanced."));
    const base = homeRisk(a);
    const big = homeRisk(a, { homeSizeB: 70 });
    const small = homeRisk(a, { homeSizeB: 3 });
    const learned = homeRisk(a, { offset: { logit: 0.8, samples: 40, model: "llama3.1:8b" } });
    expect(big.risk).toBeLessThan(base.risk);
    expect(small.risk).toBeGreaterThan(base.risk);
    expect(learned.risk).toBeGreaterThan(base.risk);
    for (const r of [big, small, learned]) expect(r.baseLogit).toBe(base.baseLogit);
    expect(big.evidence.some((e) => e.startsWith("home 70B: −"))).toBe(true);
    expect(learned.evidence.some((e) => e.includes("from 40 home outcomes: +0.80"))).toBe(true);
  });

  it("ships weights for every feature of the current feature version", () => {
    expect(RISK_WEIGHTS.featureVersion).toBe(RISK_FEATURE_VERSION);
    expect(Object.keys(RISK_WEIGHTS.weights)).toEqual([...RISK_FEATURES]);
    expect(RISK_WEIGHTS.cloudShareLogits).toHaveLength(21);
  });
});

describe("cloud share", () => {
  const logits = FIXED.map((a) => homeRisk(a).baseLogit);
  const table = calibrationTable(logits);
  const sent = (share: number): number[] => logits.flatMap((z, i) => (z >= cloudShareThreshold(share, table) ? [i] : []));
  const riskiest = (n: number): number[] => logits.map((z, i) => [z, i] as const).sort((a, b) => b[0] - a[0]).slice(0, n).map(([, i]) => i).sort((a, b) => a - b);

  it("a cloud share of 20% sends the riskiest fifth of a fixed set", () => {
    expect(new Set(logits).size).toBe(logits.length); // no ties, so "the riskiest fifth" is one set
    expect(sent(20)).toEqual(riskiest(4));
  });

  it("sends nothing at 0%, everything at 100%, and more as the share grows", () => {
    expect(sent(0)).toEqual([]);
    expect(sent(100)).toHaveLength(FIXED.length);
    let last = 0;
    for (let p = 5; p <= 100; p += 5) {
      const n = sent(p).length;
      expect(n).toBeGreaterThanOrEqual(last);
      expect(n).toBe(Math.round((p / 100) * FIXED.length));
      last = n;
    }
  });

  it("the shipped table is descending and interpolates between its entries", () => {
    const t = RISK_WEIGHTS.cloudShareLogits;
    for (let i = 1; i < t.length; i++) expect(t[i]).toBeLessThanOrEqual(t[i - 1] ?? Infinity);
    const mid = cloudShareThreshold(12.5);
    expect(mid).toBeLessThanOrEqual(t[2] ?? 0);
    expect(mid).toBeGreaterThanOrEqual(t[3] ?? 0);
    expect(cloudShareThreshold(2)).toBeGreaterThan(t[1] ?? 0);
    expect(cloudShareThreshold(2)).toBeLessThan(99);
  });
});

describe("home size", () => {
  it("reads sizes from model ids", () => {
    expect(parseModelSize("llama3.1:8b")).toBe(8);
    expect(parseModelSize("qwen2.5-7b-instruct-q4_k_m")).toBe(7);
    expect(parseModelSize("phi3:3.8b")).toBe(3.8);
    expect(parseModelSize("llama3:70b-instruct")).toBe(70);
    expect(parseModelSize("Mixtral-8x7B-Instruct")).toBeCloseTo(47, 0);
    expect(parseModelSize("smollm:135m")).toBeCloseTo(0.135, 6);
    expect(parseModelSize("mistral-nemo")).toBeUndefined();
    expect(parseModelSize("gpt-4o")).toBeUndefined();
  });

  it("shifts the logit by the fitted slope per doubling, clamped, none when unknown", () => {
    expect(SIZE_SLOPE).toBeLessThan(0);
    expect(sizeShift(7)).toBe(0);
    expect(sizeShift(14)).toBeCloseTo(SIZE_SLOPE, 9);
    expect(sizeShift(undefined)).toBe(0);
    expect(Math.abs(sizeShift(0.001))).toBeLessThanOrEqual(1);
  });
});

describe("learned offsets", () => {
  const run = (n: number, badEvery: number, predicted: number): RiskTally => {
    let t = EMPTY_TALLY;
    for (let i = 0; i < n; i++) t = addOutcome(t, predicted, badEvery > 0 && i % badEvery === 0);
    return t;
  };

  it("is zero without outcomes and moves toward what happened", () => {
    expect(offsetFrom(EMPTY_TALLY)).toEqual({ logit: 0, samples: 0, failed: 0 });
    expect(offsetFrom(run(10, 2, 0.2)).logit).toBeGreaterThan(0.3);
    expect(offsetFrom(run(100, 0, 0.3)).logit).toBeLessThan(-1);
  });

  it("trusts a few outcomes less than many, and stays within ±2", () => {
    expect(Math.abs(offsetFrom(run(3, 1, 0.1)).logit)).toBeLessThan(Math.abs(offsetFrom(run(60, 1, 0.1)).logit));
    expect(offsetFrom(run(2000, 1, 0.05)).logit).toBeLessThanOrEqual(2);
  });
});

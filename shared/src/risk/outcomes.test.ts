import { describe, expect, it } from "vitest";
import type { AttemptSummary } from "../errors.js";
import { predictedRisk } from "../routing/risk-facts.js";
import { addOutcome, EMPTY_TALLY, offsetFrom } from "./learn.js";
import { homeOutcomes } from "./outcomes.js";
import { sizeShift } from "./size.js";

const e = (target: string, outcome: AttemptSummary["outcome"], reason = "ok"): AttemptSummary => ({ target, outcome, reason });

describe("home's answer outcomes in a trace", () => {
  it("a served home answer is good; an error, a timeout, a stall, a broken stream, a failed check are bad", () => {
    expect(homeOutcomes([e("local/qwen", "served")])).toEqual([{ model: "qwen", bad: false }]);
    for (const [outcome, reason] of [
      ["failed", "error"],
      ["failed", "timeout"],
      ["broken", "idle_timeout"],
      ["broken", "disconnected"],
      ["failed", "invalid_answer"],
      ["broken", "invalid_answer"],
      // A reason nobody listed yet is a failed answer too.
      ["failed", "repetition_loop"],
    ] as const) {
      expect(homeOutcomes([e("local/qwen", outcome, reason), e("openai/gpt-4o-mini", "served")])).toEqual([{ model: "qwen", bad: true, reason }]);
    }
  });

  it("home never getting to answer teaches nothing: passed over, busy, a lost hedge, the cloud's own outcomes", () => {
    for (const [outcome, reason] of [
      ["skipped", "offline"],
      ["skipped", "context_too_long"],
      ["failed", "overloaded"],
      ["failed", "loading"],
      ["skipped", "breaker_open"],
      ["cancelled", "hedge_lost"],
      ["skipped", "policy_cloud_only"],
    ] as const) {
      expect(homeOutcomes([e("local/qwen", outcome, reason), e("openai/gpt-4o-mini", "served")])).toEqual([]);
    }
    expect(homeOutcomes([e("local", "skipped", "offline"), e("openai/gpt-4o-mini", "failed", "http_500")])).toEqual([]);
  });

  it("one outcome per model and request: a failed attempt then a served retry is bad; two models are two outcomes", () => {
    expect(homeOutcomes([e("local/qwen", "failed", "error"), e("local/qwen", "served")])).toEqual([{ model: "qwen", bad: true, reason: "error" }]);
    expect(homeOutcomes([e("local/a", "failed", "timeout"), e("local/b", "served")])).toEqual([
      { model: "a", bad: true, reason: "timeout" },
      { model: "b", bad: false },
    ]);
  });
});

describe("what an outcome is measured against", () => {
  it("the model's logit with the home model's size shift, never the learned offset", () => {
    expect(predictedRisk(0, undefined)).toBe(0.5);
    expect(predictedRisk(0.3, 70)).toBeCloseTo(1 / (1 + Math.exp(-(0.3 + sizeShift(70)))), 12);
  });

  it("ten failed answers where 30% was predicted raise the offset; the counts say how many failed", () => {
    let t = EMPTY_TALLY;
    for (let i = 0; i < 10; i++) t = addOutcome(t, 0.3, true);
    const o = offsetFrom(t);
    expect(o.logit).toBeGreaterThan(0.7);
    expect(o.samples).toBeCloseTo(9.8, 1);
    expect(o.failed).toBe(o.samples);
  });
});

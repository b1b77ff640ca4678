/**
 * The home model's size, and what it does to the risk. A 70B home is not a 3B home: the estimate is
 * trained on 7B-class home models, and its logit moves by SIZE_SLOPE per doubling of the home
 * model's parameters away from 7B.
 *
 * SIZE_SLOPE is fitted, not assumed: scripts/train-home-risk.ts takes every non-cloud model in the
 * outcome data with a known size (7B to 70B, 24 model × source pairs), the share of prompts the
 * cloud model beat each on, and fits logit(share) = a_source + b·log2(size / 7B). It gives b ≈ −0.19
 * per doubling (a 70B home: −0.61; a 3B home: +0.23). The fit is noisy — model generation matters
 * as much as size (2023's Llama-2-70B-chat loses to 2023's Mixtral) — so the shift is clamped to
 * ±1 and an unknown size means no shift.
 */
import { RISK_WEIGHTS } from "./weights.js";

export const SIZE_SLOPE = RISK_WEIGHTS.fittedSizeSlope;
const SIZE_SHIFT_LIMIT = 1;

/**
 * Parameters in billions from a model id or name: `llama3.1:8b`, `qwen2.5-7b-instruct`,
 * `Mixtral-8x7B` (≈ 47B: experts share attention), `phi3:3.8b`, `smollm:135m`. Undefined if none.
 */
export function parseModelSize(id: string): number | undefined {
  const s = id.toLowerCase();
  const moe = /(?:^|[^a-z0-9.])(\d+)x(\d+(?:\.\d+)?)b(?![a-z])/.exec(s);
  if (moe) return Math.round(Number(moe[1]) * Number(moe[2]) * 0.84 * 10) / 10;
  const b = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)b(?![a-z])/.exec(s);
  if (b) return Number(b[1]);
  const m = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)m(?![a-z])/.exec(s);
  if (m) return Number(m[1]) / 1000;
  return undefined;
}

/** The logit shift for a home model of this size (billions of parameters); 0 when unknown. */
export function sizeShift(sizeB: number | undefined): number {
  if (sizeB === undefined || !(sizeB > 0)) return 0;
  const shift = SIZE_SLOPE * Math.log2(sizeB / 7);
  return Math.max(-SIZE_SHIFT_LIMIT, Math.min(SIZE_SHIFT_LIMIT, shift)) || 0; // no −0
}

/**
 * The home-risk estimate: the probability that a home-class model's answer to this request is worse
 * than a large cloud model's, from the classifier's analysis alone (no text is read again).
 *
 *   logit = model(features)            weights.ts, learned from public per-prompt outcomes (SOURCES.md)
 *         + sizeShift(home size)       size.ts: −0.19 per doubling away from 7B, clamped to ±1
 *         + user offset                learned from this deployment's own home outcomes (learn.ts)
 *   risk  = σ(logit)
 *
 * Judged honestly (scripts/eval-home-risk.ts, each source held out): see SOURCES.md and the README —
 * the prompt alone orders prompts only a little better than chance; the per-user offset and the
 * cloud-share knob are how a deployment makes it useful.
 */
import type { Analysis } from "../classify/classifier.js";
import { RISK_FEATURES, RISK_FEATURE_COUNT, riskFeatures } from "./features.js";
import { riskLogit, weightVector } from "./model.js";
import { sizeShift } from "./size.js";
import { RISK_WEIGHTS } from "./weights.js";

export { calibrationTable, cloudShareThreshold, CLOUD_SHARE_STEPS } from "./calibration.js";
export { parseModelSize, sizeShift, SIZE_SLOPE } from "./size.js";
export { RISK_FEATURES } from "./features.js";
export { homeOutcomes, FAILED_ANSWER, NOT_AN_ANSWER, type HomeOutcome } from "./outcomes.js";
export { addOutcome, offsetFrom, EMPTY_TALLY, PRIOR_WEIGHT, type RiskOffset, type RiskTally } from "./learn.js";

const WEIGHTS = weightVector(RISK_WEIGHTS);

export interface HomeRiskOptions {
  /** The home model's size in billions of parameters, when known. */
  homeSizeB?: number;
  /** A learned logit offset for this deployment's home model (see learn.ts), and what it rests on. */
  offset?: { logit: number; samples: number; model: string };
}

export interface HomeRisk {
  /** P(home's answer is worse than the cloud's), 0–1. */
  risk: number;
  /** The model's logit before the shifts: what the cloud-share knob compares. */
  baseLogit: number;
  /** The logit after the home-size and per-user shifts. */
  logit: number;
  sizeShift: number;
  userShift: number;
  /** In words, for explain: the largest contributions and the shifts (never prompt text). */
  evidence: string[];
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const signed = (x: number): string => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(2)}`;

function topContributions(x: Float64Array, n: number): string[] {
  const parts: { name: string; c: number }[] = [];
  for (let i = 0; i < RISK_FEATURE_COUNT; i++) parts.push({ name: RISK_FEATURES[i] ?? "", c: (WEIGHTS[i] ?? 0) * (x[i] ?? 0) });
  return parts
    .filter((p) => Math.abs(p.c) >= 0.05)
    .sort((a, b) => Math.abs(b.c) - Math.abs(a.c))
    .slice(0, n)
    .map((p) => `${p.name} ${signed(p.c)}`);
}

export function homeRisk(a: Analysis, o: HomeRiskOptions = {}): HomeRisk {
  const x = riskFeatures(a);
  const baseLogit = riskLogit(RISK_WEIGHTS.bias, WEIGHTS, x);
  const size = sizeShift(o.homeSizeB);
  const user = o.offset?.logit ?? 0;
  const logit = baseLogit + size + user;
  const evidence = [`model logit ${signed(baseLogit)}`, ...topContributions(x, 3)];
  if (size !== 0) evidence.push(`home ${o.homeSizeB}B: ${signed(size)}`);
  if (o.offset && o.offset.samples > 0) evidence.push(`learned for ${o.offset.model} from ${o.offset.samples} home outcomes: ${signed(user)}`);
  return { risk: sigmoid(logit), baseLogit, logit, sizeShift: size, userShift: user, evidence };
}

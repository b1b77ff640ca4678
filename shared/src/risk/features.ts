/**
 * What the home-risk model reads: a few dozen numbers the classifier has already computed (its kind
 * probabilities, complexity, the prompt's size and shape), scaled to about 0–1. No text is read
 * again, so the estimate costs well under a microsecond on top of classify().
 *
 * The order is the weight layout (weights.ts stores one weight per name): append, never reorder,
 * and bump RISK_FEATURE_VERSION when a definition changes.
 */
import type { Analysis } from "../classify/classifier.js";
import { TASK_KINDS } from "../classify/kinds.js";

export const RISK_FEATURE_VERSION = 1;

const log2p = (x: number): number => Math.log2(1 + Math.max(0, x));

export const RISK_FEATURES = [
  "log tokens",
  ...TASK_KINDS.map((k) => `kind ${k}`),
  "complexity",
  "notation",
  "code lines",
  "code fence",
  "asks",
  "constraints",
  "reasoning cues",
  "turns",
  "digits",
  "symbols",
  "lines",
  "system prompt",
  "last message length",
  ...TASK_KINDS.map((k) => `kind ${k} × length`),
] as const;

export const RISK_FEATURE_COUNT = RISK_FEATURES.length;

/** The feature vector, in RISK_FEATURES order. */
export function riskFeatures(a: Analysis, out: Float64Array = new Float64Array(RISK_FEATURE_COUNT)): Float64Array {
  const c = a.classification;
  const s = a.signals;
  const length = log2p(c.promptTokens) / 16;
  let i = 0;
  out[i++] = length;
  for (const k of TASK_KINDS) out[i++] = c.kindScores[k];
  out[i++] = c.complexity;
  out[i++] = log2p(s.notation) / 4;
  out[i++] = log2p(s.codeLines) / 4;
  out[i++] = s.fences > 0 ? 1 : 0;
  out[i++] = log2p(s.parts) / 3;
  out[i++] = log2p(s.constraints) / 3;
  out[i++] = s.reasoningCues.length / 3;
  out[i++] = Math.log2(Math.max(1, a.userTurns)) / 3;
  out[i++] = Math.min(1, s.digitRatio * 10);
  out[i++] = Math.min(1, s.symbolRatio * 10);
  out[i++] = Math.log2(Math.max(1, s.lines)) / 8;
  out[i++] = a.hasSystem ? 1 : 0;
  out[i++] = log2p(a.lastChars) / 16;
  for (const k of TASK_KINDS) out[i++] = c.kindScores[k] * length;
  return out;
}

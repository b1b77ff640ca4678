/** The shape of the generated weights module (weights.ts), and the logit it defines. */
import { RISK_FEATURES, RISK_FEATURE_COUNT } from "./features.js";

export interface RiskWeights {
  featureVersion: number;
  bias: number;
  /** One weight per feature name (features.ts). */
  weights: Readonly<Record<string, number>>;
  /** Logit thresholds for a cloud share of 0%, 5%, …, 100%, descending. */
  cloudShareLogits: readonly number[];
  /** The size slope the training data gave (see size.ts for the one used). */
  fittedSizeSlope: number;
}

/** The weights in feature order, resolved once. */
export function weightVector(w: RiskWeights): Float64Array {
  return Float64Array.from(RISK_FEATURES, (name) => w.weights[name] ?? 0);
}

export function riskLogit(bias: number, weights: Float64Array, x: Float64Array): number {
  let z = bias;
  for (let i = 0; i < RISK_FEATURE_COUNT; i++) z += (weights[i] ?? 0) * (x[i] ?? 0);
  return z;
}

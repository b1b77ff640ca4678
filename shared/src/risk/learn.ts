/**
 * Learning from this deployment's own traffic: home's outcomes adjust the estimate per home model.
 *
 * Each request answered (or failed) at home is an outcome: `bad` when home failed it (an error, a
 * stall, a fallback to the cloud, or — once checked answers land — a check home's answer failed),
 * `good` otherwise, together with the risk the model predicted for it. The offset is the log-odds
 * gap between what happened and what was predicted, shrunk toward 0 by a prior worth PRIOR_WEIGHT
 * outcomes, and clamped:
 *
 *   offset = logit((bad + k·p̄) / (n + k)) − logit(p̄),   p̄ = mean predicted risk, k = PRIOR_WEIGHT
 *
 * So 5 failures in 10 where 20% was predicted move the logit by about +0.5; 10 failures in 10 where
 * 30% was predicted, by about +1.0; 100 clean answers where 30% was predicted, by about −1.9 (the
 * decay leaves ~79 of them). Counts decay (DECAY per outcome) so a changed model or setup is
 * relearned in a few hundred requests.
 */

export const PRIOR_WEIGHT = 20;
const DECAY = 0.995;
const LIMIT = 2;

export interface RiskOffset {
  logit: number;
  /** Outcomes behind it (decayed). */
  samples: number;
  /** Of them, failed ones (decayed). */
  failed: number;
}

/** The running counts for one home model (what the hub keeps). */
export interface RiskTally {
  n: number;
  bad: number;
  /** Sum of predicted risks. */
  predicted: number;
}

export const EMPTY_TALLY: RiskTally = { n: 0, bad: 0, predicted: 0 };

/**
 * One more outcome. `predictedRisk` is what the estimate said *before* this offset (the model's logit
 * with home's size shift): measured against a prediction that already held the offset, the offset
 * would chase itself.
 */
export function addOutcome(t: RiskTally, predictedRisk: number, bad: boolean): RiskTally {
  const p = Math.min(0.99, Math.max(0.01, predictedRisk));
  return { n: t.n * DECAY + 1, bad: t.bad * DECAY + (bad ? 1 : 0), predicted: t.predicted * DECAY + p };
}

const logit = (p: number): number => Math.log(p / (1 - p));

export function offsetFrom(t: RiskTally): RiskOffset {
  if (t.n <= 0) return { logit: 0, samples: 0, failed: 0 };
  const mean = t.predicted / t.n;
  const observed = (t.bad + PRIOR_WEIGHT * mean) / (t.n + PRIOR_WEIGHT);
  const shift = logit(Math.min(0.99, Math.max(0.01, observed))) - logit(mean);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { logit: Math.max(-LIMIT, Math.min(LIMIT, shift)), samples: round(t.n), failed: round(t.bad) };
}

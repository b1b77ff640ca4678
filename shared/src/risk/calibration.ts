/**
 * The cloud-share knob: "send at most N% of requests to the cloud" as a threshold on the risk logit.
 * A table holds, for N = 0, 5, …, 100, the logit above which N% of a reference set of prompts lie;
 * between entries the threshold is interpolated. The shipped table (weights.ts) comes from the
 * public training prompts, each source weighing the same (scripts/train-home-risk.ts, with
 * calibrationTable below). The comparison uses the model's own logit, before the home-size and
 * per-user shifts: those move every request alike, so they change the risk shown and absolute
 * thresholds (`homeRiskAtLeast`), not which N% are the riskiest.
 */
import { RISK_WEIGHTS } from "./weights.js";

/** Table entries: 0%, 5%, …, 100%. */
export const CLOUD_SHARE_STEPS = 20;

/**
 * The table for a set of logits (optionally weighted): entry i is the largest logit t such that the
 * weight of logits ≥ t reaches i/20 of the total. The ends are +99 (nothing goes out) and −99.
 */
export function calibrationTable(logits: readonly number[], weights?: readonly number[]): number[] {
  const items = logits.map((z, i) => ({ z, w: weights?.[i] ?? 1 })).sort((a, b) => b.z - a.z);
  const total = items.reduce((a, x) => a + x.w, 0);
  const out = [99];
  for (let i = 1; i < CLOUD_SHARE_STEPS; i++) {
    const want = (i / CLOUD_SHARE_STEPS) * total;
    let acc = 0;
    let z = items[0]?.z ?? 0;
    for (const x of items) {
      acc += x.w;
      z = x.z;
      if (acc >= want - 1e-9) break;
    }
    // Rounded down, so the prompt the entry came from stays at or above it.
    out.push(Math.floor(z * 1e4) / 1e4);
  }
  out.push(-99);
  return out;
}

/** The logit threshold for a cloud share of `percent` (0–100): requests at or above it go out. */
export function cloudShareThreshold(percent: number, table: readonly number[] = RISK_WEIGHTS.cloudShareLogits): number {
  if (!(percent > 0)) return Infinity;
  if (percent >= 100) return -Infinity;
  const n = table.length - 1;
  const x = (percent / 100) * n;
  if (Number.isInteger(x)) return table[x] ?? 0;
  // Interpolate between interior entries; the ±99 ends are markers, not logits, so the first and
  // last segments extrapolate from their neighbours instead.
  const a = Math.min(Math.max(Math.floor(x), 1), n - 2);
  const lo = table[a] ?? 0;
  const hi = table[a + 1] ?? lo;
  return lo + (hi - lo) * (x - a);
}

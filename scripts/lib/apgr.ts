/**
 * APGR, RouteLLM's measure of a router (Ong et al., 2024): route the top-c fraction of prompts by
 * score to the strong model and the rest to the weak one; the performance gap recovered is
 *   PGR(c) = (quality(c) − quality_weak) / (quality_strong − quality_weak),
 * and APGR is its area over c ∈ [0, 1]. A random order scores 0.5 in expectation; an order that
 * sends the prompts the weak model gets wrong first scores more (the oracle can exceed 1, since on
 * some prompts the weak model beats the strong one).
 *
 * Ties in the score are taken in expectation (every prompt of a tie group carries the group's mean
 * gain), so a constant score gets exactly 0.5 and no order inside a tie can flatter a router.
 */
export interface Curve {
  apgr: number;
  /** PGR after routing k of n prompts, k = 0..n. */
  pgr: number[];
  /** Smallest cloud share that recovers at least half / 80% of the gap (1 if never). */
  share50: number;
  share80: number;
}

/** `score`: higher means send to the strong model first. `gain`: strong quality − weak quality. */
export function apgrCurve(score: readonly number[], gain: readonly number[]): Curve {
  const n = score.length;
  const order = score.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
  const sorted = new Array<number>(n).fill(0);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && order[j + 1]?.[0] === order[i]?.[0]) j++;
    let sum = 0;
    for (let k = i; k <= j; k++) sum += gain[order[k]?.[1] ?? 0] ?? 0;
    for (let k = i; k <= j; k++) sorted[k] = sum / (j - i + 1);
    i = j + 1;
  }
  const total = sorted.reduce((a, b) => a + b, 0);
  const pgr = [0];
  let acc = 0;
  for (const g of sorted) pgr.push(total === 0 ? 0 : (acc += g) / total);
  let area = 0;
  for (let k = 1; k <= n; k++) area += ((pgr[k - 1] ?? 0) + (pgr[k] ?? 0)) / 2;
  const first = (t: number): number => {
    const k = pgr.findIndex((p) => p >= t - 1e-12);
    return k < 0 ? 1 : k / n;
  };
  return { apgr: n > 0 ? area / n : 0.5, pgr, share50: first(0.5), share80: first(0.8) };
}

/** PGR at cloud share c (0–1), read off the curve. */
export function pgrAt(curve: Curve, c: number): number {
  const n = curve.pgr.length - 1;
  return curve.pgr[Math.round(c * n)] ?? 0;
}

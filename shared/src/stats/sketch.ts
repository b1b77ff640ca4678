/**
 * A small mergeable histogram of durations (ms) for time to first token: log-spaced bins, each 20%
 * wider than the one before, kept sparse as `{bin: count}`. Two sketches merge by adding counts, so a
 * minute's sketches add up to an hour's and an hour's to a chart point's without keeping samples.
 * A quantile is read as its bin's geometric middle: within ±10% of the true value, which is all a
 * chart needs. From 1 ms to 10 minutes takes at most 73 bins; a typical minute holds a handful.
 */

/** Bin → count. Keys are strings so the sketch is its own JSON. */
export type Sketch = Record<string, number>;

const GROWTH = 1.2;
const LOG_GROWTH = Math.log(GROWTH);

/** The bin a duration falls in (durations under 1 ms share bin 0). */
export function binOf(ms: number): number {
  return ms <= 1 ? 0 : Math.floor(Math.log(ms) / LOG_GROWTH);
}

/** Adds one duration. Mutates and returns `s`. */
export function addToSketch(s: Sketch, ms: number): Sketch {
  if (!Number.isFinite(ms) || ms < 0) return s;
  const k = String(binOf(ms));
  s[k] = (s[k] ?? 0) + 1;
  return s;
}

/** Adds `from`'s counts into `into`. Mutates and returns `into`. */
export function mergeSketch(into: Sketch, from: Readonly<Sketch>): Sketch {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
  return into;
}

export function sketchCount(s: Readonly<Sketch>): number {
  let n = 0;
  for (const c of Object.values(s)) n += c;
  return n;
}

/** The q-quantile (0..1) as its bin's geometric middle, or undefined for an empty sketch. */
export function sketchQuantile(s: Readonly<Sketch>, q: number): number | undefined {
  const bins = Object.entries(s)
    .map(([k, n]) => [Number(k), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = bins.reduce((n, [, c]) => n + c, 0);
  if (total === 0) return undefined;
  // The rank of the sample that is the quantile (nearest rank, 1-based).
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [bin, n] of bins) {
    seen += n;
    if (seen >= rank) return bin === 0 ? 1 : GROWTH ** (bin + 0.5);
  }
  return undefined;
}

/**
 * What Hearth has seen of each target lately, as pure arithmetic over a sliding window of samples:
 * percentiles of time to first token and of speed, the error rate, the adaptive first-token deadline,
 * and a circuit breaker read off the window. The per-user Durable Object keeps the windows; the
 * planner reads these summaries.
 */

/** One attempt on one target. */
export interface PerfSample {
  /** When it ended (ms since epoch). */
  at: number;
  ok: boolean;
  /** Time to the first token (streams) or to the answer (non-streaming), ms. A timeout records its deadline. */
  ttftMs?: number;
  /** Generation speed after the first token, tokens/s. */
  tokensPerSecond?: number;
  /** The failure's reason token (`timeout`, `http_503`…) when not ok. */
  reason?: string;
  /** The request's prompt size (estimated tokens): time to first token grows with it. */
  promptTokens?: number;
}

export interface PerfOptions {
  /** Samples kept per target. Default: 100. */
  windowSize: number;
  /** Samples needed before observations steer anything. Default: 20. */
  minSamples: number;
}

export const DEFAULT_PERF: PerfOptions = { windowSize: 100, minSamples: 20 };

export interface Percentiles {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

export interface PerfSummary {
  samples: number;
  failures: number;
  /** failures / samples (0 with no samples). */
  errorRate: number;
  /** Enough samples to act on. */
  ready: boolean;
  ttftMs: Percentiles | undefined;
  tokensPerSecond: Percentiles | undefined;
  /** Median prompt size of the samples that know it (the size the ttft percentiles are typical for). */
  promptTokensP50: number | undefined;
}

/** The window with one more sample, oldest dropped past the size. Returns a new array. */
export function pushSample(window: readonly PerfSample[], sample: PerfSample, size = DEFAULT_PERF.windowSize): PerfSample[] {
  const out = window.length >= size ? window.slice(window.length - size + 1) : window.slice();
  out.push(sample);
  return out;
}

/** Nearest-rank percentile of sorted values (q in 0–1). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

export function percentiles(values: ArrayLike<number>): Percentiles | undefined {
  if (values.length === 0) return undefined;
  // A typed array sorts numerically in native code, several times faster than a comparator sort:
  // the hub summarizes the windows a request changed before planning the next one.
  const s = Float64Array.from(values).sort();
  return { p50: percentile(s, 0.5), p90: percentile(s, 0.9), p95: percentile(s, 0.95), p99: percentile(s, 0.99) };
}

export function summarize(window: readonly PerfSample[], opts: Pick<PerfOptions, "minSamples"> = DEFAULT_PERF): PerfSummary {
  // One pass into preallocated buffers (this runs on the planning path; flatMap's per-sample arrays cost more than the sorts).
  const ttft = new Float64Array(window.length);
  const tps = new Float64Array(window.length);
  const prompt = new Float64Array(window.length);
  let failures = 0;
  let nTtft = 0;
  let nTps = 0;
  let nPrompt = 0;
  for (const s of window) {
    if (!s.ok) failures++;
    if (s.ttftMs !== undefined) ttft[nTtft++] = s.ttftMs;
    if (s.ok && s.tokensPerSecond !== undefined && s.tokensPerSecond > 0) tps[nTps++] = s.tokensPerSecond;
    if (s.promptTokens) prompt[nPrompt++] = s.promptTokens;
  }
  return {
    samples: window.length,
    failures,
    errorRate: window.length ? failures / window.length : 0,
    ready: window.length >= opts.minSamples,
    ttftMs: percentiles(ttft.subarray(0, nTtft)),
    tokensPerSecond: percentiles(tps.subarray(0, nTps)),
    promptTokensP50: percentiles(prompt.subarray(0, nPrompt))?.p50,
  };
}

export interface DeadlineOptions {
  /** Used until there are enough samples, and the most the deadline can grow to (ms). */
  ceilingMs: number;
  /** The least it can shrink to, so a warm fast machine is not cut off by a hiccup (ms). Default: 1,000. */
  floorMs: number;
  /** Deadline = multiplier × observed p95 time to first token. Default: 2. */
  multiplier: number;
}

export const DEFAULT_DEADLINE: Omit<DeadlineOptions, "ceilingMs"> = { floorMs: 1_000, multiplier: 2 };

export interface AdaptiveDeadline {
  ms: number;
  source: "observed" | "default";
  why: string;
}

/**
 * How much longer than usual this prompt should take to start: prefill time grows with the prompt, so
 * a prompt k times the usual size gets k times the usual time (never less than 1×).
 */
export function promptScale(s: PerfSummary, promptTokens: number | undefined): number {
  if (!promptTokens || !s.promptTokensP50) return 1;
  return Math.max(1, promptTokens / s.promptTokensP50);
}

/**
 * Home's first-token deadline from what it has done lately: twice its p95 (scaled up for a prompt
 * larger than usual), between a floor and a ceiling. Timeouts are in the window at their deadline, so
 * a machine that got slower pushes its own deadline up on the next attempts instead of timing out
 * forever.
 */
export function adaptiveDeadline(s: PerfSummary, opts: DeadlineOptions, promptTokens?: number): AdaptiveDeadline {
  const floor = Math.min(opts.floorMs, opts.ceilingMs);
  if (!s.ready || !s.ttftMs) return { ms: opts.ceilingMs, source: "default", why: `default ${opts.ceilingMs} ms (${s.samples} samples)` };
  const scale = promptScale(s, promptTokens);
  const ms = Math.round(Math.min(opts.ceilingMs, Math.max(floor, opts.multiplier * s.ttftMs.p95 * scale)));
  const scaled = scale > 1 ? ` × ${scale.toFixed(1)} for a prompt larger than usual` : "";
  return { ms, source: "observed", why: `${opts.multiplier}× p95 ${Math.round(s.ttftMs.p95)} ms${scaled} over ${s.samples} samples, within ${floor}–${opts.ceilingMs} ms` };
}

export interface WindowBreakerOptions {
  /** Consecutive failures, most recent last, that open it. Default: 3. */
  failureThreshold: number;
  /** How long after the last failure it stays open (ms). Default: 30,000. */
  cooldownMs: number;
}

/**
 * A breaker read off the window (no state of its own): open while the newest `failureThreshold`
 * samples all failed and the last one is within the cool-down; half-open after it, until a success.
 */
export function windowBreaker(window: readonly PerfSample[], now: number, opts: WindowBreakerOptions): "closed" | "open" | "half_open" {
  if (window.length < opts.failureThreshold) return "closed";
  const tail = window.slice(window.length - opts.failureThreshold);
  if (!tail.every((s) => !s.ok)) return "closed";
  const last = tail[tail.length - 1] as PerfSample;
  return now - last.at < opts.cooldownMs ? "open" : "half_open";
}

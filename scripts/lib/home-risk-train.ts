/**
 * Fitting and scoring the home-risk model, shared by scripts/train-home-risk.ts and
 * scripts/eval-home-risk.ts so the evaluation measures what training ships.
 *
 * Each outcome record becomes: the classifier's analysis of its prompt (exactly as served), the
 * label y = the share of home-class models (role `home` in home-risk-sources.ts) that the cloud
 * model beat on it, and the gain (cloud quality − mean home quality, qualities on 0–1) that APGR
 * adds up. A weighted logistic regression (Adam, L2, full batch) fits y from the features; every
 * source carries the same total weight, so 1,470 ARC questions do not outvote 300 chat prompts.
 * The optional hashed n-gram block (`ngramBits` > 0) is for the offline ceiling only.
 */
import { readFileSync } from "node:fs";
import { analyzeWith, featurizeRequest, type Analysis } from "../../shared/src/classify/classifier.js";
import { modelFromWeights, ngramNorm } from "../../shared/src/classify/model.js";
import type { FeatureSink } from "../../shared/src/classify/ngrams.js";
import { WEIGHTS } from "../../shared/src/classify/weights.js";
import { RISK_FEATURE_COUNT, riskFeatures } from "../../shared/src/risk/features.js";
import { OUTCOME_SOURCES, type OutcomeRecord } from "./home-risk-sources.js";

const KIND_MODEL = modelFromWeights(WEIGHTS);

export function loadOutcomes(file: string): OutcomeRecord[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as OutcomeRecord);
}

export interface Example {
  id: string;
  source: string;
  analysis: Analysis;
  dense: Float64Array;
  /** Share of home models the cloud model beat (0–1). */
  y: number;
  /** Cloud quality − mean home quality, on 0–1. */
  gain: number;
  /** Quality on 0–1 per model, for the size study. */
  quality: Record<string, number>;
  cloud: number;
  ngrams?: Map<number, number>;
}

const quality01 = (scale: OutcomeRecord["scale"], v: number): number => (scale === "judge10" ? (v - 1) / 9 : v);

/** The example for a record, or undefined when it lacks the cloud's or every home model's outcome. */
export function toExample(r: OutcomeRecord): Example | undefined {
  const src = OUTCOME_SOURCES.find((s) => s.name === r.source);
  if (!src) return undefined;
  const cloudName = Object.entries(src.models).find(([, m]) => m.role === "cloud")?.[0] ?? "";
  const homes = Object.entries(src.models).filter(([name, m]) => m.role === "home" && r.outcomes[name] !== undefined).map(([name]) => name);
  const cloudRaw = r.outcomes[cloudName];
  if (cloudRaw === undefined || homes.length === 0) return undefined;
  const quality: Record<string, number> = {};
  for (const [name, v] of Object.entries(r.outcomes)) quality[name] = quality01(r.scale, v);
  const cloud = quality01(r.scale, cloudRaw);
  const homeQ = homes.map((h) => quality[h] ?? 0);
  const y = homeQ.filter((q) => cloud > q).length / homes.length;
  const gain = cloud - homeQ.reduce((a, b) => a + b, 0) / homes.length;
  const analysis = analyzeWith(KIND_MODEL, { model: "home-risk", messages: r.messages });
  return { id: r.id, source: r.source, analysis, dense: riskFeatures(analysis), y, gain, quality, cloud };
}

/** Signed hashed n-grams of the prompt (the classifier's own features), 1/√mass-normalised. */
export function ngramVector(r: OutcomeRecord, bits: number): Map<number, number> {
  const shift = 32 - bits;
  const out = new Map<number, number>();
  let mass = 0;
  const sink: FeatureSink = {
    ngram(hash, weight) {
      const b = hash >>> shift;
      out.set(b, (out.get(b) ?? 0) + (hash & 1 ? -weight : weight));
      mass += weight;
    },
    dense() {},
  };
  featurizeRequest({ model: "home-risk", messages: r.messages }, sink);
  const norm = ngramNorm(mass);
  for (const [b, v] of out) out.set(b, v * norm);
  return out;
}

export interface FitOptions {
  epochs: number;
  lr: number;
  l2: number;
  /** log2 of the n-gram buckets; 0 for the dense model alone. */
  ngramBits: number;
}

export const DEFAULT_FIT: FitOptions = { epochs: 400, lr: 0.05, l2: 1e-3, ngramBits: 0 };

export interface RiskFit {
  bias: number;
  weights: Float64Array;
  ngram?: Float64Array;
  ngramBits: number;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export function logit(fit: RiskFit, ex: Example): number {
  let z = fit.bias;
  for (let i = 0; i < RISK_FEATURE_COUNT; i++) z += (fit.weights[i] ?? 0) * (ex.dense[i] ?? 0);
  if (fit.ngram && ex.ngrams) for (const [b, v] of ex.ngrams) z += (fit.ngram[b] ?? 0) * v;
  return z;
}

/** Weighted logistic regression, full-batch Adam; each source weighs the same in total. */
export function fitRisk(examples: readonly Example[], o: FitOptions): RiskFit {
  const D = RISK_FEATURE_COUNT;
  const N = o.ngramBits > 0 ? 1 << o.ngramBits : 0;
  const theta = new Float64Array(1 + D + N);
  const m = new Float64Array(theta.length);
  const v = new Float64Array(theta.length);
  const grad = new Float64Array(theta.length);
  const perSource = new Map<string, number>();
  for (const ex of examples) perSource.set(ex.source, (perSource.get(ex.source) ?? 0) + 1);
  const w = examples.map((ex) => 1 / (perSource.size * (perSource.get(ex.source) ?? 1)));
  const fit: RiskFit = { bias: 0, weights: theta.subarray(1, 1 + D), ngram: N ? theta.subarray(1 + D) : undefined, ngramBits: o.ngramBits };
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  for (let step = 1; step <= o.epochs; step++) {
    grad.fill(0);
    fit.bias = theta[0] ?? 0;
    examples.forEach((ex, k) => {
      const g = (sigmoid(logit(fit, ex)) - ex.y) * (w[k] ?? 0);
      grad[0] = (grad[0] ?? 0) + g;
      for (let i = 0; i < D; i++) grad[1 + i] = (grad[1 + i] ?? 0) + g * (ex.dense[i] ?? 0);
      if (N && ex.ngrams) for (const [b, val] of ex.ngrams) grad[1 + D + b] = (grad[1 + D + b] ?? 0) + g * val;
    });
    const c1 = 1 - b1 ** step;
    const c2 = 1 - b2 ** step;
    for (let i = 0; i < theta.length; i++) {
      const t = theta[i] ?? 0;
      if (i > 0 && grad[i] === 0 && t === 0) continue;
      const gi = (grad[i] ?? 0) + (i > 0 ? o.l2 * t : 0);
      const mi = (m[i] = b1 * (m[i] ?? 0) + (1 - b1) * gi);
      const vi = (v[i] = b2 * (v[i] ?? 0) + (1 - b2) * gi * gi);
      theta[i] = t - (o.lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
  }
  fit.bias = theta[0] ?? 0;
  return fit;
}

export const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

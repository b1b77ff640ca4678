/**
 * The linear model: multinomial logistic regression over signed hashed features.
 *
 *   logit_k = bias_k + scale · ( Σ_ngrams w[b, k] · sign · segmentWeight / √mass + Σ_dense w[b, k] )
 *
 * where b is the feature's bucket (top `bits` bits of its hash), sign its lowest bit, and mass the
 * sum of the n-gram weights: dividing by √mass keeps long and short prompts on one scale, while the
 * dense features (a code fence, a length bucket) count in full whatever the length. Scores are the
 * softmax of the logits. Trained offline by scripts/train-classifier.ts.
 */
import { TASK_KINDS } from "./kinds.js";
import type { FeatureSink } from "./ngrams.js";

export interface LinearModel {
  /** log2 of the bucket count. */
  bits: number;
  /** Bucket-major: weights[bucket * 6 + k] for kind k (TASK_KINDS order). */
  weights: Int8Array | Float32Array;
  /** The value of one weight unit (the int8 quantisation step; 1 for float weights). */
  scale: number;
  bias: readonly number[];
}

/**
 * 1/√mass: for text whose n-grams are mostly distinct this is the vector's L2 norm, without the
 * per-request hash map an exact norm needs. (1/mass^0.75 and 1/mass scored 4 and 8 points worse in
 * cross-validation.)
 */
export function ngramNorm(mass: number): number {
  return mass > 0 ? 1 / Math.sqrt(mass) : 0;
}

// The sums below are unrolled for six kinds (a loop over a Float64Array costs twice as much per
// feature). Adding a kind fails to compile here until they are extended.
const SIX: 6 = TASK_KINDS.length;

/** Accumulates logits straight from the features: no feature vector is built. */
export class LogitSink implements FeatureSink {
  // n-gram and dense sums per kind, in TASK_KINDS order.
  private n0 = 0;
  private n1 = 0;
  private n2 = 0;
  private n3 = 0;
  private n4 = 0;
  private n5 = 0;
  private readonly denseSums = new Float64Array(SIX);
  mass = 0;
  private readonly shift: number;
  private readonly weights: Int8Array | Float32Array;

  constructor(private readonly model: LinearModel) {
    this.shift = 32 - model.bits;
    this.weights = model.weights;
  }

  ngram(hash: number, weight: number): void {
    const w = this.weights;
    const b = (hash >>> this.shift) * SIX;
    const v = hash & 1 ? -weight : weight;
    this.n0 += (w[b] ?? 0) * v;
    this.n1 += (w[b + 1] ?? 0) * v;
    this.n2 += (w[b + 2] ?? 0) * v;
    this.n3 += (w[b + 3] ?? 0) * v;
    this.n4 += (w[b + 4] ?? 0) * v;
    this.n5 += (w[b + 5] ?? 0) * v;
    this.mass += weight;
  }

  dense(hash: number): void {
    const w = this.weights;
    const base = (hash >>> this.shift) * SIX;
    const v = hash & 1 ? -1 : 1;
    const sums = this.denseSums;
    for (let k = 0; k < SIX; k++) sums[k] = (sums[k] ?? 0) + (w[base + k] ?? 0) * v;
  }

  /** The n-gram sums per kind (before the length normalisation and the scale). */
  ngramSums(): number[] {
    return [this.n0, this.n1, this.n2, this.n3, this.n4, this.n5];
  }

  /** Softmax of the logits, in TASK_KINDS order. */
  probabilities(): number[] {
    const norm = ngramNorm(this.mass);
    const { scale, bias } = this.model;
    const logits: number[] = [];
    let max = -Infinity;
    const ngrams = this.ngramSums();
    for (let k = 0; k < SIX; k++) {
      const z = (bias[k] ?? 0) + scale * ((ngrams[k] ?? 0) * norm + (this.denseSums[k] ?? 0));
      logits.push(z);
      if (z > max) max = z;
    }
    let total = 0;
    for (let k = 0; k < SIX; k++) {
      const e = Math.exp((logits[k] ?? 0) - max);
      logits[k] = e;
      total += e;
    }
    return logits.map((e) => e / total);
  }
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 to bytes. Written out because `atob` is not in every runtime's type library. */
export function decodeBase64(text: string): Uint8Array {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < B64.length; i++) table[B64.charCodeAt(i)] = i;
  const out = new Uint8Array(Math.floor((text.replace(/=+$/, "").length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < text.length && o < out.length; i++) {
    const v = table[text.charCodeAt(i)] ?? -1;
    if (v < 0) continue;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  return out;
}

export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >>> 18) & 63] ?? "";
    out += B64[(n >>> 12) & 63] ?? "";
    out += i + 1 < bytes.length ? (B64[(n >>> 6) & 63] ?? "") : "=";
    out += i + 2 < bytes.length ? (B64[n & 63] ?? "") : "=";
  }
  return out;
}

/** The shape of the generated weights module. */
export interface WeightsFile {
  featureVersion: number;
  bits: number;
  kinds: readonly string[];
  scale: number;
  bias: readonly number[];
  /** Int8 weights, bucket-major, base64 in lines. */
  data: readonly string[];
}

export function modelFromWeights(file: WeightsFile): LinearModel {
  const bytes = decodeBase64(file.data.join(""));
  return { bits: file.bits, weights: new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length), scale: file.scale, bias: file.bias };
}

/**
 * Text → hashed features for the linear model, in one pass without a substring per feature.
 *
 * From the lower-cased text, with digits folded to 0 and whitespace runs folded to one space (or one
 * line break if the run holds one):
 * - character 3-grams and 4-grams (spelling, code punctuation like `();` and `=> `, other languages);
 * - word unigrams and bigrams, where a word is a run of letters/digits and every other visible
 *   character (a symbol, a CJK character) is a word of its own.
 * Each feature is a 32-bit hash; the model takes its high bits as the bucket and its lowest bit as
 * the sign (signed feature hashing: collisions cancel on average instead of adding up).
 */
import { FNV_OFFSET, combine, fmix32, fnv1a, fnvStep } from "./hash.js";
import type { TextSignals } from "./features.js";

/** Bump when anything here changes: weights.ts must then be regenerated. */
export const FEATURE_VERSION = 1;

export interface FeatureSink {
  /** An n-gram feature: its hash and the weight of the segment it came from. */
  ngram(hash: number, weight: number): void;
  /** A deterministic feature (see denseFeatures), value 1, not length-normalised. */
  dense(hash: number): void;
}

// Distinct seeds keep a word "ab" and a char n-gram "ab" apart.
const SEED_TRI = fnv1a("c3");
const SEED_QUAD = fnv1a("c4");
const SEED_UNI = fnv1a("w1");
const SEED_BOUNDARY = fnv1a("w0");

function isWordChar(c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95;
  // Letters of other alphabets continue a word; CJK characters are words of their own.
  return c >= 0xc0 && c < 0x2000;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13 || c === 0xa0 || c === 0x3000;
}

/** Feeds one text's n-grams to the sink. */
export function featurizeText(text: string, weight: number, sink: FeatureSink): void {
  const s = text.toLowerCase();
  let c1 = 32; // the previous three normalised chars; start as if after a space
  let c2 = 32;
  let c3 = 32;
  let word = FNV_OFFSET;
  let wordLen = 0;
  let prevWord = SEED_BOUNDARY;
  let pendingSpace = 0; // 0: none, 32: space, 10: line break
  const emitWord = (h: number): void => {
    sink.ngram(fmix32(h ^ SEED_UNI), weight);
    sink.ngram(combine(prevWord, h), weight);
    prevWord = h;
  };
  const emitChar = (c: number): void => {
    sink.ngram(fmix32(fnvStep(fnvStep(fnvStep(SEED_TRI, c2), c1), c)), weight);
    sink.ngram(fmix32(fnvStep(fnvStep(fnvStep(fnvStep(SEED_QUAD, c3), c2), c1), c)), weight);
    c3 = c2;
    c2 = c1;
    c1 = c;
  };
  for (let i = 0; i <= s.length; i++) {
    let c = i < s.length ? s.charCodeAt(i) : 32;
    if (isSpace(c)) {
      if (i > 0 && pendingSpace !== 10) pendingSpace = c === 10 ? 10 : 32;
      if (wordLen > 0) emitWord(word);
      word = FNV_OFFSET;
      wordLen = 0;
      continue;
    }
    if (pendingSpace !== 0) {
      emitChar(pendingSpace);
      pendingSpace = 0;
    }
    if (c >= 48 && c <= 57) c = 48;
    emitChar(c);
    if (isWordChar(c)) {
      word = fnvStep(word, c);
      wordLen++;
    } else {
      if (wordLen > 0) emitWord(word);
      word = FNV_OFFSET;
      wordLen = 0;
      emitWord(fnvStep(FNV_OFFSET, c));
    }
  }
  // The final space closes the last word and the last n-grams.
  if (pendingSpace !== 0) emitChar(pendingSpace);
}

const bucketOf = (v: number, edges: readonly number[]): number => {
  let b = 0;
  while (b < edges.length && v >= (edges[b] ?? Infinity)) b++;
  return b;
};

// One hash per dense feature name, computed once.
const D = {
  fence: fnv1a("d:fence"),
  contextFence: fnv1a("d:ctx-fence"),
  inlineCode: fnv1a("d:inline"),
  codeLines: fnv1a("d:code-lines"),
  symbols: fnv1a("d:symbols"),
  digits: fnv1a("d:digits"),
  math: fnv1a("d:math"),
  length: fnv1a("d:len"),
  lines: fnv1a("d:lines"),
  turns: fnv1a("d:turns"),
  system: fnv1a("d:system"),
  question: fnv1a("d:question"),
  reasoning: fnv1a("d:reasoning"),
};

export interface DenseInput {
  signals: TextSignals;
  contextFence: boolean;
  userTurns: number;
  hasSystem: boolean;
}

/** Bucketed deterministic features: the model learns what a code fence or a long paste means. */
export function denseFeatures(d: DenseInput, sink: FeatureSink): void {
  const s = d.signals;
  const flag = (on: boolean, h: number): void => {
    if (on) sink.dense(fmix32(h));
  };
  const bucket = (h: number, b: number): void => sink.dense(combine(h, b));
  flag(s.fences > 0, D.fence);
  flag(d.contextFence, D.contextFence);
  flag(s.inlineCode > 0, D.inlineCode);
  flag(s.mathNotation, D.math);
  flag(d.hasSystem, D.system);
  flag(s.parts > 0, D.question);
  flag(s.reasoningCues.length > 0, D.reasoning);
  bucket(D.codeLines, bucketOf(s.codeLines, [1, 2, 5]));
  bucket(D.symbols, bucketOf(s.symbolRatio, [0.01, 0.03, 0.06, 0.1]));
  bucket(D.digits, bucketOf(s.digitRatio, [0.01, 0.04, 0.1]));
  bucket(D.length, bucketOf(s.chars, [16, 40, 100, 250, 600, 1500]));
  bucket(D.lines, bucketOf(s.lines, [2, 4, 10]));
  bucket(D.turns, bucketOf(d.userTurns, [2, 3]));
}

/**
 * Text → hashed features for the linear model, in one pass without a substring per feature.
 *
 * From the lower-cased text, with digits folded to 0 and whitespace runs folded to one space (or one
 * line break if the run holds one):
 * - character 3-grams (spelling, code punctuation like `();` and `=> `, other languages);
 * - words, where a word is a run of letters/digits and every other visible character (a symbol, a
 *   CJK character) is a word of its own.
 * Character 4-grams and word bigrams were tried: neither moved 5-fold cross-validated accuracy on
 * the train split (±0.5 point), and each adds a hash and a weight lookup per char or per word.
 * Each feature is a 32-bit hash; the model takes its high bits as the bucket and its lowest bit as
 * the sign (signed feature hashing: collisions cancel on average instead of adding up).
 */
import { FNV_OFFSET, combine, fmix32, fnv1a, fnvStep } from "./hash.js";
import type { TextSignals } from "./features.js";

/**
 * Bump when the features change (this file, the signals in features.ts, the window in window.ts):
 * weights.ts must then be regenerated, and a test checks that it was.
 */
export const FEATURE_VERSION = 3;

export interface FeatureSink {
  /** An n-gram feature: its hash and the weight of the segment it came from. */
  ngram(hash: number, weight: number): void;
  /** A deterministic feature (see denseFeatures), value 1, not length-normalised. */
  dense(hash: number): void;
}

// Distinct seeds keep a word "ab" and a char n-gram "ab" apart.
const SEED_TRI = fnv1a("c3");
const SEED_UNI = fnv1a("w1");
const SEED_LEAD = fnv1a("lead");
const SEED_TAIL = fnv1a("tail");

// Char classes for the scan below, one per UTF-16 code unit (64 KiB), filled by ranges so module
// start-up stays cheap. Letters of other alphabets continue a word; CJK characters are words of
// their own (SYMBOL). The text is lower-cased first, so A–Z never reach the table.
const SYMBOL = 0;
const WORD = 1;
const DIGIT = 2;
const SPACE = 3;
const NEWLINE = 4;
const CLASS = new Uint8Array(0x10000); // SYMBOL unless set below
CLASS.fill(WORD, 0x61, 0x7b).fill(WORD, 0xc0, 0x2000).fill(DIGIT, 0x30, 0x3a);
CLASS[0x5f] = WORD; // _
CLASS[10] = NEWLINE;
for (const c of [32, 9, 13, 0xa0, 0x3000]) CLASS[c] = SPACE;

function trigram(a: number, b: number, c: number): number {
  return fmix32(fnvStep(fnvStep(fnvStep(SEED_TRI, a), b), c));
}

/**
 * XOR'd into the n-grams of the turns before the last user message, so "python" in an earlier turn
 * is another feature than "python" in the ask: the model learns how much the context should count
 * (a follow-up takes its kind from it; a new ask after a finished exchange does not).
 */
export const CONTEXT_SALT = fmix32(fnv1a("context"));

/**
 * Feeds one text's n-grams to the sink. One loop with its state in locals (no closures), so V8 keeps
 * it in registers: this runs over every char of the window.
 */
export function featurizeText(text: string, weight: number, sink: FeatureSink, salt = 0): void {
  const s = text.toLowerCase();
  let c1 = 32; // the previous two normalised chars; start as if after a space
  let c2 = 32;
  let word = FNV_OFFSET;
  let wordLen = 0;
  let pendingSpace = 0; // 0: none, 32: a space, 10: a line break, not yet emitted
  for (let i = 0; i <= s.length; i++) {
    // A virtual space after the end closes the last word and the last n-grams.
    let c = i < s.length ? s.charCodeAt(i) : 32;
    const k = CLASS[c] ?? SYMBOL;
    let symbol = false;
    if (k === SPACE || k === NEWLINE) {
      if (i > 0 && pendingSpace !== 10) pendingSpace = c === 10 ? 10 : 32;
      if (i === s.length && pendingSpace !== 0) sink.ngram(trigram(c2, c1, pendingSpace) ^ salt, weight);
    } else {
      if (pendingSpace !== 0) {
        sink.ngram(trigram(c2, c1, pendingSpace) ^ salt, weight);
        c2 = c1;
        c1 = pendingSpace;
        pendingSpace = 0;
      }
      if (k === DIGIT) c = 48;
      sink.ngram(trigram(c2, c1, c) ^ salt, weight);
      c2 = c1;
      c1 = c;
      if (k !== SYMBOL) {
        word = fnvStep(word, c);
        wordLen++;
        continue;
      }
      symbol = true;
    }
    if (wordLen > 0) {
      sink.ngram(fmix32(word ^ SEED_UNI) ^ salt, weight);
      word = FNV_OFFSET;
      wordLen = 0;
    }
    if (symbol) sink.ngram(fmix32(fnvStep(FNV_OFFSET, c) ^ SEED_UNI) ^ salt, weight);
  }
}

/** Words read at each end of the last user message for the position features. */
export const ENDS = { words: 8, chars: 96 } as const;

/** Word hashes (lower-cased, digits folded) of a short text, in order. */
function wordHashes(text: string): number[] {
  const s = text.toLowerCase();
  const out: number[] = [];
  let word = FNV_OFFSET;
  let len = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 32;
    const k = CLASS[c] ?? SYMBOL;
    if (k === WORD || k === DIGIT) {
      word = fnvStep(word, k === DIGIT ? 48 : c);
      len++;
    } else if (len > 0) {
      out.push(word);
      word = FNV_OFFSET;
      len = 0;
    }
  }
  return out;
}

/**
 * Position features: the first and the last few words of the last user message, apart from the
 * same words elsewhere. The ask usually sits there ("Write a blog post…", "…summarise the above"),
 * while the body may be a pasted document or a list of constraints that reads like anything.
 */
export function featurizeEnds(first: string, last: string, weight: number, sink: FeatureSink): void {
  const lead = wordHashes(first.slice(0, ENDS.chars));
  for (let i = 0; i < lead.length && i < ENDS.words; i++) sink.ngram(fmix32((lead[i] ?? 0) ^ SEED_LEAD), weight);
  const tail = wordHashes(last.slice(Math.max(0, last.length - ENDS.chars)));
  for (let i = Math.max(0, tail.length - ENDS.words); i < tail.length; i++) sink.ngram(fmix32((tail[i] ?? 0) ^ SEED_TAIL), weight);
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

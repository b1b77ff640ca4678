/**
 * A repetition loop: the answer's end is one span repeated again and again, as a home model writes
 * when it degenerates, until the length limit cuts it. Cheap and incremental, for a stream:
 *
 * - a periodic end of a string is found for every period at once with one Z-function pass over the
 *   reversed tail: Z[p] + p is how far back the text repeats with period p. O(window).
 * - that pass runs only when a native search finds the last 32 characters earlier in the window —
 *   needed for any loop of that size, and rare in prose — so ordinary text costs one lastIndexOf per
 *   256 characters.
 *
 * Legit repetitive text (tables, lists, code, a zero-filled array) repeats with variation or briefly,
 * so the thresholds ask for long exact repetition: mid-stream ≥ 1,024 characters and ≥ 8 copies of a
 * unit that holds a letter (or is whitespace: endless blank lines); at an answer cut by the length
 * limit ≥ 160 characters and ≥ 3 copies of any unit — the cut itself is evidence. Pure.
 */

export interface Loop {
  /** Length of the repeated unit (UTF-16 code units). */
  period: number;
  /** Copies of it at the end of the answer (the last may be partial). */
  repeats: number;
  /** How many characters at the end of the answer the repetition covers. */
  chars: number;
}

export interface LoopThresholds {
  minChars: number;
  minRepeats: number;
  /** Only units with a letter, or all whitespace, count. */
  wordy: boolean;
}

/** Mid-stream: the answer is not over; a false alarm would end a good home answer. */
export const STREAM_LOOP: LoopThresholds = { minChars: 1024, minRepeats: 8, wordy: true };
/** At an answer cut by the length limit. */
export const END_LOOP: LoopThresholds = { minChars: 160, minRepeats: 3, wordy: false };

/** How many trailing characters the prefilter looks for earlier in the window. */
const PROBE = 32;
const STREAM_WINDOW = 2048;
const END_WINDOW = 8192;
/** Characters between two mid-stream looks (a loop must cover 1,024 to count, so this delays little). */
const EVERY = 256;

/** Z-function of `s` read backwards: z[p] = longest common suffix of s and s without its last p characters. */
function reversedZ(s: string): Int32Array {
  const n = s.length;
  const r = new Uint16Array(n);
  for (let i = 0; i < n; i++) r[i] = s.charCodeAt(n - 1 - i);
  const z = new Int32Array(n);
  let left = 0;
  let right = 0;
  for (let i = 1; i < n; i++) {
    let k = i < right ? Math.min(right - i, z[i - left] as number) : 0;
    while (i + k < n && r[k] === r[i + k]) k++;
    z[i] = k;
    if (i + k > right) {
      left = i;
      right = i + k;
    }
  }
  return z;
}

const LETTER = /\p{L}/u;

/** The shortest period with which `tail` ends in a loop at these thresholds, if any. */
export function loopAtEnd(tail: string, t: LoopThresholds): Loop | undefined {
  const n = tail.length;
  if (n < t.minChars) return undefined;
  const probe = tail.slice(n - Math.min(PROBE, t.minChars));
  if (tail.lastIndexOf(probe, n - probe.length - 1) < 0) return undefined;
  const z = reversedZ(tail);
  const maxPeriod = Math.floor(n / t.minRepeats);
  for (let p = 1; p <= maxPeriod; p++) {
    const chars = (z[p] ?? 0) + p;
    if (chars < t.minChars || chars < t.minRepeats * p) continue;
    // The first period found is the shortest; every other one is a multiple of it, made of the same characters.
    const unit = tail.slice(n - p);
    if (t.wordy && !LETTER.test(unit) && unit.trim() !== "") return undefined;
    return { period: p, repeats: chars / p, chars };
  }
  return undefined;
}

/**
 * Watches a stream's text for a loop. Keeps two tails, each a flat string rebuilt only now and then:
 * slicing a string built by `+=` flattens all of it, which done per delta made a 16 KB answer cost
 * milliseconds.
 */
export class LoopDetector {
  /** The text's end, for the mid-stream look: cut to STREAM_WINDOW at each look (every EVERY characters). */
  private near = "";
  /** The text's end, for the look at a length cut: cut to END_WINDOW when it passes 4× that. */
  private far = "";
  /** Characters added since the last look. */
  private unseen = 0;
  private loop: Loop | undefined;

  /** Adds text; returns the loop once the end of the text so far is one (and from then on). */
  push(text: string): Loop | undefined {
    if (this.loop || text === "") return this.loop;
    this.far += text;
    if (this.far.length > 4 * END_WINDOW) this.far = this.far.slice(-END_WINDOW);
    this.near += text;
    this.unseen += text.length;
    if (this.unseen < EVERY) return undefined;
    this.unseen = 0;
    if (this.near.length > STREAM_WINDOW) this.near = this.near.slice(-STREAM_WINDOW);
    this.loop = loopAtEnd(this.near, STREAM_LOOP);
    return this.loop;
  }

  /** The loop the answer ends in, judged as an answer cut by the length limit. */
  atLengthCut(): Loop | undefined {
    return this.loop ?? loopAtEnd(this.far.slice(-END_WINDOW), END_LOOP);
  }
}

/** A whole answer's text, cut by the length limit: does it end in a loop? */
export const loopInCutAnswer = (text: string): Loop | undefined => loopAtEnd(text.slice(-END_WINDOW), END_LOOP);

/**
 * 32-bit hashing for feature hashing. FNV-1a steps over UTF-16 char codes, so a caller can hash a
 * word or an n-gram while scanning a string, without slicing out a substring per feature.
 */
export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** One FNV-1a step: fold one char code (or any 32-bit value) into the running hash. */
export function fnvStep(h: number, c: number): number {
  return Math.imul(h ^ c, FNV_PRIME);
}

/** FNV-1a of a whole string. */
export function fnv1a(s: string, seed: number = FNV_OFFSET): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = fnvStep(h, s.charCodeAt(i));
  return h >>> 0;
}

/**
 * MurmurHash3's finaliser. FNV's low and high bits are poorly mixed for short inputs, and buckets
 * come from the high bits and the sign from the low bit, so every feature hash passes through this.
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Order-dependent combination of two values (a feature name's hash and its bucket). */
export function combine(a: number, b: number): number {
  return fmix32(Math.imul(a, 0x9e3779b1) ^ b);
}

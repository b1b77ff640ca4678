/**
 * Embedding vectors as OpenAI sends them with `encoding_format: "base64"`: the float32 values,
 * little-endian, base64-encoded. Home vectors cross the tunnel in this form too (a quarter of the
 * size of JSON numbers, and a string validates in one step where an array of numbers is checked
 * number by number), so a base64 answer from home is passed on as the sidecar wrote it.
 * Pure and runtime-neutral: the base64 codec is written out here (shared code has no btoa/Buffer).
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const CODES = new Uint8Array(128).fill(255);
for (let i = 0; i < ALPHABET.length; i++) CODES[ALPHABET.charCodeAt(i)] = i;

/** RFC 4648 base64 with padding (no line breaks), as OpenAI writes it. */
function toBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += ALPHABET.charAt(n >> 18) + ALPHABET.charAt((n >> 12) & 63) + ALPHABET.charAt((n >> 6) & 63) + ALPHABET.charAt(n & 63);
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = ((bytes[i] ?? 0) << 16) | (rest === 2 ? (bytes[i + 1] ?? 0) << 8 : 0);
    out += ALPHABET.charAt(n >> 18) + ALPHABET.charAt((n >> 12) & 63) + (rest === 2 ? ALPHABET.charAt((n >> 6) & 63) : "=") + "=";
  }
  return out;
}

function fromBase64(text: string): Uint8Array {
  const s = text.replace(/=+$/, "");
  if (s.length % 4 === 1) throw new RangeError("invalid base64: truncated");
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? (CODES[c] ?? 255) : 255;
    if (v === 255) throw new RangeError(`invalid base64 character at ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
  }
  return out;
}

export function encodeVector(values: ArrayLike<number>): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  return toBase64(bytes);
}

/** The float32 values of a base64 vector. Throws on text that is not base64 of whole float32s. */
export function decodeVector(base64: string): Float32Array {
  const bytes = fromBase64(base64);
  if (bytes.length % 4 !== 0) throw new RangeError(`a base64 vector must hold whole float32 values, got ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/**
 * The first `dimensions` values (all of them when undefined), scaled to unit length — what OpenAI
 * does for `dimensions`, and what Ollama and llama.cpp's server do to every vector, so vectors from
 * home compare by dot product as OpenAI's do. A zero vector stays zero.
 */
export function shapeVector(values: ArrayLike<number>, dimensions?: number): Float32Array {
  const n = dimensions === undefined ? values.length : Math.min(dimensions, values.length);
  const out = new Float32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i] ?? 0;
    out[i] = v;
    sum += v * v;
  }
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < n; i++) out[i] = (out[i] ?? 0) / norm;
  return out;
}

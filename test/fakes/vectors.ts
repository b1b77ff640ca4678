/**
 * The deterministic "embedding model" both fakes use (Ollama's /api/embed and OpenAI's
 * /v1/embeddings), so tests can predict vectors: a unit-length vector drawn from a PRNG seeded by the
 * model's name and the text — different models give unrelated vectors for the same text, as real
 * ones do. Float32 values, as the real servers compute them.
 */
import { createHash } from "node:crypto";
import { mulberry32 } from "../../scripts/lib/prng.js";

/** The model's full vector for `text`. */
export function fakeVector(model: string, text: string, length: number): number[] {
  const seed = createHash("sha256").update(`${model}\n${text}`).digest().readUInt32LE(0);
  const rand = mulberry32(seed);
  const raw = Array.from({ length }, () => rand() * 2 - 1);
  return unit(raw);
}

/** Cut to `dimensions` and scaled back to unit length, as OpenAI (and Ollama) do with `dimensions`. */
export function cutVector(vector: number[], dimensions: number | undefined): number[] {
  return dimensions === undefined || dimensions >= vector.length ? vector : unit(vector.slice(0, dimensions));
}

function unit(v: number[]): number[] {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum) || 1;
  return v.map((x) => Math.fround(x / norm));
}

/** Little-endian float32, base64 (OpenAI's `encoding_format: "base64"`), with Node's own codec. */
export function base64Vector(vector: number[]): string {
  const buf = Buffer.alloc(vector.length * 4);
  vector.forEach((x, i) => buf.writeFloatLE(x, i * 4));
  return buf.toString("base64");
}

/** The inverse of base64Vector. */
export function fromBase64Vector(text: string): number[] {
  const buf = Buffer.from(text, "base64");
  return Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(i * 4));
}

/**
 * What the fake Ollama answers to POST /api/embed, apart from loading and faults (ollama.ts): Ollama's
 * checks and error texts, and its response — `embeddings` (unit length, as Ollama normalizes them),
 * `prompt_eval_count`, durations in nanoseconds. An input longer than the model's context is cut when
 * `truncate` is true (Ollama's default) and refused when false.
 */
import { cutVector, fakeVector } from "./vectors.js";

export interface EmbedModel {
  /** With its tag, as Ollama names it: part of the vector's seed. */
  name: string;
  embedding: boolean;
  contextLength: number;
  embeddingLength: number;
}

interface EmbedBody {
  input?: unknown;
  truncate?: unknown;
  dimensions?: unknown;
}

export type EmbedAnswer = { status: 200; body: object } | { status: 400; error: string };

const tokens = (s: string) => Math.max(1, Math.ceil(s.length / 4));

export function embedAnswer(raw: unknown, m: EmbedModel, loadNs: number): EmbedAnswer {
  const body = (raw ?? {}) as EmbedBody;
  if (!m.embedding) return { status: 400, error: `"${m.name}" does not support embeddings` };
  const input = typeof body.input === "string" ? [body.input] : body.input;
  if (!Array.isArray(input) || !input.every((s) => typeof s === "string")) return { status: 400, error: "invalid input type" };
  const truncate = body.truncate !== false;
  const texts: string[] = [];
  for (const text of input as string[]) {
    if (tokens(text) <= m.contextLength) texts.push(text);
    else if (truncate) texts.push(text.slice(0, m.contextLength * 4));
    else return { status: 400, error: "the input length exceeds the context length" };
  }
  const dims = typeof body.dimensions === "number" && body.dimensions > 0 ? body.dimensions : undefined;
  const embeddings = texts.map((t) => cutVector(fakeVector(m.name, t, m.embeddingLength), dims));
  const promptEval = texts.reduce((n, t) => n + tokens(t), 0);
  const promptNs = 10_000_000 * texts.length;
  return {
    status: 200,
    body: { model: m.name, embeddings, total_duration: loadNs + promptNs, load_duration: loadNs, prompt_eval_count: promptEval },
  };
}

/**
 * The OpenAI Embeddings request as Hearth accepts it (POST /v1/embeddings). `input` is a string, an
 * array of strings, or token ids (an array of integers, or an array of such arrays); every form
 * becomes a list of inputs, answered in order. Token ids are the tokenizer's of the model that reads
 * them, so they are only passed on to OpenAI: home models have their own tokenizers.
 * Unknown fields are dropped; a known field of the wrong type, and any input out of its limits, is a
 * 400 naming the field (`input[3]`).
 */
import { z } from "zod";
import { HearthError } from "../errors.js";
import type { LimitViolation } from "./limits.js";
import { issueToError, limitToError } from "./validate.js";

export const EMBEDDING_LIMITS = {
  /** Inputs in one request: OpenAI's documented maximum. */
  inputs: 2048,
  /** Token ids in one token-array input: OpenAI's per-input maximum for its embedding models. */
  tokensPerInput: 8192,
  /** Dimensions asked for: far above any embedding model's native size (3,072 for OpenAI's largest, 4,096 for Qwen3-Embedding-8B). */
  dimensions: 16_384,
} as const;

export const ENCODING_FORMATS = ["float", "base64"] as const;
export type EncodingFormat = (typeof ENCODING_FORMATS)[number];

const requestSchema = z.object({
  model: z.string().min(1),
  // Checked by inputsOf(), which names the item at fault.
  input: z.unknown().optional(),
  dimensions: z.number().int().min(1).max(EMBEDDING_LIMITS.dimensions).nullish(),
  encoding_format: z.enum(ENCODING_FORMATS).nullish(),
  user: z.string().nullish(),
});

export type EmbeddingInputs = { kind: "text"; texts: string[] } | { kind: "tokens"; tokens: number[][] };

export interface EmbeddingsRequest {
  model: string;
  inputs: EmbeddingInputs;
  /** Cut each vector to this many dimensions (then scaled back to unit length). Default: the model's own size. */
  dimensions: number | undefined;
  /** Default: float. */
  encodingFormat: EncodingFormat;
  user: string | undefined;
}

/** How many inputs a request carries. */
export const inputCount = (inputs: EmbeddingInputs): number => (inputs.kind === "text" ? inputs.texts.length : inputs.tokens.length);

const isTokenId = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

function tokenViolation(tokens: unknown[], path: (string | number)[]): LimitViolation | undefined {
  if (tokens.length === 0) return { path, message: "must not be empty" };
  if (tokens.length > EMBEDDING_LIMITS.tokensPerInput) return { path, message: `${tokens.length} tokens, over the limit of ${EMBEDDING_LIMITS.tokensPerInput}` };
  const bad = tokens.findIndex((t) => !isTokenId(t));
  return bad < 0 ? undefined : { path: [...path, bad], message: "must be a token id (a non-negative integer)" };
}

/** `input`, whatever form it came in, as a list of inputs — or the item that is wrong, and why. */
export function inputsOf(input: unknown): EmbeddingInputs | LimitViolation {
  if (typeof input === "string") return input === "" ? { path: ["input"], message: "must not be empty" } : { kind: "text", texts: [input] };
  if (!Array.isArray(input)) return { path: ["input"], message: "must be a string, an array of strings, or an array of token arrays" };
  if (input.length === 0) return { path: ["input"], message: "must not be empty" };
  if (input.length > EMBEDDING_LIMITS.inputs) return { path: ["input"], message: `${input.length} inputs, over the limit of ${EMBEDDING_LIMITS.inputs}` };
  const first: unknown = input[0];
  if (typeof first === "number") {
    const over = tokenViolation(input, ["input"]);
    return over ?? { kind: "tokens", tokens: [input as number[]] };
  }
  if (Array.isArray(first)) {
    for (let i = 0; i < input.length; i++) {
      const item: unknown = input[i];
      const over = Array.isArray(item) ? tokenViolation(item, ["input", i]) : { path: ["input", i], message: "must be an array of token ids, as the items before it" };
      if (over) return over;
    }
    return { kind: "tokens", tokens: input as number[][] };
  }
  for (let i = 0; i < input.length; i++) {
    const item: unknown = input[i];
    if (typeof item !== "string") return { path: ["input", i], message: "must be a string, as the items before it" };
    if (item === "") return { path: ["input", i], message: "must not be empty" };
  }
  return { kind: "text", texts: input as string[] };
}

/** Validates a parsed JSON body as an embeddings request. Throws HearthError(400) naming the field. */
export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HearthError("invalid_request", "The request body must be a JSON object.");
  }
  const result = requestSchema.safeParse(body);
  if (!result.success) throw issueToError(result.error);
  if (!("input" in body)) throw limitToError({ path: ["input"], message: "is required" });
  const inputs = inputsOf(result.data.input);
  if ("path" in inputs) throw limitToError(inputs);
  const r = result.data;
  return { model: r.model, inputs, dimensions: r.dimensions ?? undefined, encodingFormat: r.encoding_format ?? "float", user: r.user ?? undefined };
}

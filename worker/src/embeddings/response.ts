/**
 * The embeddings response in OpenAI's shape, for answers Hearth assembles (home's). Home's vectors
 * arrive as base64 of little-endian float32 values: passed on as they are for `base64`, decoded to
 * numbers for `float` (each the float32's exact value).
 */
import { decodeVector, type EncodingFormat } from "@hearth/shared";

export function homeBody(vectors: readonly string[], model: string, promptTokens: number, format: EncodingFormat): string {
  const data = vectors.map((v, index) => ({ object: "embedding", index, embedding: format === "base64" ? v : Array.from(decodeVector(v)) }));
  return JSON.stringify({ object: "list", data, model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
}

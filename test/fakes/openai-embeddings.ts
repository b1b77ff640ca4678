/**
 * POST /v1/embeddings of the fake OpenAI: OpenAI's request checks, status codes and error bodies, its
 * response shape (`object: "list"`, `data[].embedding`, `usage`), `dimensions` (cut and rescaled; refused
 * by ada-002, capped at the model's size) and `encoding_format` (`float`, `base64`). Vectors come from
 * fakeVector, so a test can predict every value.
 */
import type { ServerResponse } from "node:http";
import { base64Vector, cutVector, fakeVector } from "./vectors.js";

/** The embedding models the fake knows, with their native vector length. */
export const FAKE_OPENAI_EMBEDDING_MODELS: Readonly<Record<string, { length: number; dimensions: boolean }>> = {
  "text-embedding-3-small": { length: 1536, dimensions: true },
  "text-embedding-3-large": { length: 3072, dimensions: true },
  "text-embedding-ada-002": { length: 1536, dimensions: false },
};

const MAX_INPUTS = 2048;
const MAX_TOKENS = 8192;
const INPUT_INVALID = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";

type Send = (res: ServerResponse, status: number, message: string, extra?: { param?: string; code?: string }) => void;

interface Body {
  model?: unknown;
  input?: unknown;
  dimensions?: unknown;
  encoding_format?: unknown;
}

const tokens = (s: string) => Math.max(1, Math.ceil(s.length / 4));

/** The inputs as texts (token ids joined, so they too give a vector), or undefined when `input` is invalid. */
function texts(input: unknown): string[] | undefined {
  const ids = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((t) => Number.isInteger(t) && (t as number) >= 0);
  if (typeof input === "string") return input === "" ? undefined : [input];
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_INPUTS) return undefined;
  if (ids(input)) return [input.join(",")];
  if (input.every(ids)) return input.map((t: number[]) => t.join(","));
  if (input.every((s) => typeof s === "string" && s !== "")) return input as string[];
  return undefined;
}

/** The token count of one input: ids as given, text at ~4 characters a token. */
const tokensOf = (input: unknown, text: string) => (typeof input === "string" || (Array.isArray(input) && typeof input[0] === "string") ? tokens(text) : text.split(",").length);

export function embeddings(res: ServerResponse, raw: unknown, sendError: Send): void {
  const body = (raw ?? {}) as Body;
  if (typeof body.model !== "string") return sendError(res, 400, "you must provide a model parameter");
  const model = FAKE_OPENAI_EMBEDDING_MODELS[body.model];
  if (!model) return sendError(res, 404, `The model \`${body.model}\` does not exist or you do not have access to it.`, { code: "model_not_found" });
  const inputs = texts(body.input);
  if (!inputs) return sendError(res, 400, INPUT_INVALID);
  const format = body.encoding_format ?? "float";
  if (format !== "float" && format !== "base64") {
    return sendError(res, 400, `Invalid value for 'encoding_format': expected 'float' or 'base64', got '${String(format)}'.`, { param: "encoding_format" });
  }
  const dims = body.dimensions;
  if (dims !== undefined && dims !== null) {
    if (!model.dimensions) return sendError(res, 400, "This model does not support specifying dimensions.", { param: "dimensions" });
    if (!Number.isInteger(dims) || (dims as number) < 1 || (dims as number) > model.length) {
      return sendError(res, 400, `Invalid value for 'dimensions' = ${String(dims)}. Must be between 1 and ${model.length}.`, { param: "dimensions" });
    }
  }
  const counts = inputs.map((t) => tokensOf(body.input, t));
  const longest = Math.max(...counts);
  if (longest > MAX_TOKENS) {
    return sendError(res, 400, `This model's maximum context length is ${MAX_TOKENS} tokens, however you requested ${longest} tokens (${longest} in your prompt; 0 for the completion). Please reduce your prompt; or completion length.`);
  }
  const data = inputs.map((text, index) => {
    const v = cutVector(fakeVector(body.model as string, text, model.length), typeof dims === "number" ? dims : undefined);
    return { object: "embedding", index, embedding: format === "base64" ? base64Vector(v) : v };
  });
  const promptTokens = counts.reduce((a, b) => a + b, 0);
  res.writeHead(200, { "content-type": "application/json", "openai-model": body.model, "x-request-id": `req_emb_${Date.now()}` });
  res.end(JSON.stringify({ object: "list", data, model: body.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } }));
}

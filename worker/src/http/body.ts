/**
 * Reading request bodies: a size cap checked before and while reading, JSON parse errors as 400s,
 * schema errors as 400s naming the field.
 */
import { HearthError, issueToError } from "@hearth/shared";
import type { z } from "zod";

export async function readText(req: Request, maxBytes: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return "";
  // A declared length is enforced by the runtime's HTTP framing: read it whole, natively (one step,
  // no JavaScript per chunk). Only a chunked body needs counting while it is read.
  if (Number.isFinite(declared)) return req.text();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

function tooLarge(maxBytes: number): HearthError {
  return new HearthError("body_too_large", `Request body is larger than the limit of ${maxBytes} bytes.`);
}

export async function parseJsonBody(req: Request, maxBytes = 64 * 1024): Promise<unknown> {
  const text = await readText(req, maxBytes);
  if (text.trim() === "") throw new HearthError("invalid_json", "The request body is empty; send a JSON object.");
  try {
    return JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : "parse error";
    throw new HearthError("invalid_json", `The request body is not valid JSON (${detail}).`);
  }
}

export function validate<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw issueToError(result.error);
  return result.data;
}

/**
 * Reading request bodies: a size cap checked before and while reading, JSON parse errors as 400s,
 * an optional nesting cap, schema errors as 400s naming the field.
 */
import { HearthError, depthViolation, fieldOf, issueToError, limitToError, nestedTooDeep } from "@hearth/shared";
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
      await discardRest(reader, size, maxBytes * DRAIN_FACTOR);
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

/** A refused chunked body is read on (and dropped) up to this many times the limit before it is cut. */
const DRAIN_FACTOR = 4;

/**
 * Reads a refused body to its end, dropping it, unless it runs past `cap`: then cancels it. Cancelling
 * a request body mid-stream leaves the connection in a state that `wrangler dev`'s asset router (in
 * front of the Worker once [assets] is configured) does not recover from — the next request on it
 * hung. Most refused bodies are only a little over the limit, so finishing them costs little.
 */
async function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>, size: number, cap: number): Promise<void> {
  while (size <= cap) {
    const { done, value } = await reader.read();
    if (done) return;
    size += value.byteLength;
  }
  await reader.cancel();
}

function tooLarge(maxBytes: number): HearthError {
  return new HearthError("body_too_large", `Request body is larger than the limit of ${maxBytes} bytes.`);
}

export interface JsonBodyOptions {
  /**
   * The deepest nesting accepted (`{}` and `[]` count one level each, the body included); deeper is
   * a 400 naming the field. Default: no cap, for bodies whose own validation checks depth
   * with better names (chat bodies: parseChatRequest).
   */
  maxDepth?: number;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8's parser is iterative (a 4 MiB body of `[[[…` parses), but a runtime may still give up on
    // depth with a RangeError: that is the client's body, not Hearth's fault.
    const detail = err instanceof RangeError ? "nested too deeply to parse" : err instanceof Error ? err.message : "parse error";
    throw new HearthError("invalid_json", `The request body is not valid JSON (${detail}).`);
  }
}

export async function parseJsonBody(req: Request, maxBytes = 64 * 1024, opts: JsonBodyOptions = {}): Promise<unknown> {
  const text = await readText(req, maxBytes);
  if (text.trim() === "") throw new HearthError("invalid_json", "The request body is empty; send a JSON object.");
  const body = parseJson(text);
  if (opts.maxDepth !== undefined) {
    const at = depthViolation(body, opts.maxDepth);
    if (at) throw limitToError(nestedTooDeep(fieldOf(at), opts.maxDepth));
  }
  return body;
}

export function validate<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw issueToError(result.error);
  return result.data;
}

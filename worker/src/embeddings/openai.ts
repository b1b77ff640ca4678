/**
 * OpenAI's embeddings as a target: POST {OPENAI_BASE_URL}/embeddings over fetch, like the provider's
 * chat path (and with its error handling: httpError, classifyError). `dimensions`, `encoding_format`
 * and `user` go up as the client sent them. The attempt is decided by the response's status, within
 * the cloud's first-content deadline; OpenAI's answer then goes to the client as it arrives, unchanged
 * and unbuffered (a big batch as float JSON is over 100 MB, more than a Worker may hold), with no
 * silence longer than the idle deadline — a body cut short reaches the client as invalid JSON, never
 * as a shorter list.
 */
import type { EmbeddingInputs, EncodingFormat } from "@hearth/shared";
import { childController, DeadlineExceeded, type DeadlineKind } from "../execute/deadlines.js";
import { classifyError, endpoint, httpError } from "../providers/openai/stream.js";
import type { EmbeddingTarget } from "./run.js";


export interface CloudEmbedContext {
  apiKey: string;
  /** Default: OpenAI's public API. */
  baseURL: string | undefined;
  requestId: string;
  /** To the response's headers (ms). */
  firstContentMs: number;
  /** Then the longest silence while its body arrives (ms). */
  idleMs: number;
}

export interface CloudEmbedRequest {
  inputs: EmbeddingInputs;
  dimensions: number | undefined;
  encodingFormat: EncodingFormat;
  user: string | undefined;
}

/** Aborts `controller` with DeadlineExceeded(kind) after `ms`; returns the clear function. */
function deadline(controller: Pick<AbortController, "abort">, kind: DeadlineKind, ms: number): () => void {
  const timer = setTimeout(() => controller.abort(new DeadlineExceeded(kind, ms)), ms);
  return () => clearTimeout(timer);
}

/** The upstream body as the client reads it; a silence longer than `idleMs` stops the upstream and errors the stream. */
function passOn(body: ReadableStream<Uint8Array>, controller: Pick<AbortController, "abort">, idleMs: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(out) {
        const clear = deadline(controller, "idle", idleMs);
        try {
          const { done, value } = await reader.read();
          if (done) out.close();
          else out.enqueue(value);
        } finally {
          clear();
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

export function openaiEmbedder(ctx: CloudEmbedContext, model: string, req: CloudEmbedRequest): EmbeddingTarget {
  const payload = JSON.stringify({
    model,
    input: req.inputs.kind === "text" ? req.inputs.texts : req.inputs.tokens,
    encoding_format: req.encodingFormat,
    ...(req.dimensions !== undefined ? { dimensions: req.dimensions } : {}),
    ...(req.user !== undefined ? { user: req.user } : {}),
  });
  return {
    id: `openai/${model}`,
    provider: "openai",
    model,
    classify: classifyError,
    async attempt(signal) {
      const controller = childController(signal);
      let clear = deadline(controller, "first_token", ctx.firstContentMs);
      try {
        const { url, headers } = endpoint(ctx, "/embeddings", ctx.requestId);
        const res = await fetch(url, {
          method: "POST",
          headers,
          body: payload,
          signal: controller.signal,
        });
        clear();
        clear = () => undefined;
        if (!res.ok) throw await httpError(res);
        if (!res.body) throw new TypeError("the upstream answered without a body");
        return passOn(res.body, controller, ctx.idleMs);
      } catch (err) {
        // Our own deadline stopped it: say which, whatever fetch threw on the way out.
        if (controller.signal.aborted && controller.signal.reason instanceof DeadlineExceeded) throw controller.signal.reason;
        throw err;
      } finally {
        clear();
      }
    },
  };
}

/**
 * OpenAI's embeddings as a target: POST {OPENAI_BASE_URL}/embeddings over fetch, like the provider's
 * chat path (and with its error handling: httpError, classifyError). `dimensions`, `encoding_format`
 * and `user` go up as the client sent them, and OpenAI's answer comes back unchanged once it is whole
 * and has a vector for every input. Deadlines: the response's headers within the cloud's
 * first-content deadline, then the body with no silence longer than the idle deadline.
 */
import type { EmbeddingInputs, EncodingFormat } from "@hearth/shared";
import { childController, DeadlineExceeded, type DeadlineKind } from "../execute/deadlines.js";
import { classifyError, httpError } from "../providers/openai/stream.js";
import type { EmbeddingTarget } from "./run.js";

const OPENAI_API = "https://api.openai.com/v1";

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

async function readBody(body: ReadableStream<Uint8Array>, controller: Pick<AbortController, "abort">, idleMs: number): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const clear = deadline(controller, "idle", idleMs);
    try {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      text += decoder.decode(value, { stream: true });
    } finally {
      clear();
    }
  }
}

/** OpenAI's answer, checked for a vector per input: anything else is an invalid response (not retried). */
function checked(text: string, count: number): string {
  const body = JSON.parse(text) as { object?: unknown; data?: unknown };
  if (body.object !== "list" || !Array.isArray(body.data) || body.data.length !== count) {
    throw new SyntaxError(`the upstream's answer is not a list of ${count} embeddings`);
  }
  return text;
}

export function openaiEmbedder(ctx: CloudEmbedContext, model: string, req: CloudEmbedRequest): EmbeddingTarget {
  const count = req.inputs.kind === "text" ? req.inputs.texts.length : req.inputs.tokens.length;
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
        const res = await fetch(`${(ctx.baseURL ?? OPENAI_API).replace(/\/+$/, "")}/embeddings`, {
          method: "POST",
          headers: { authorization: `Bearer ${ctx.apiKey}`, "content-type": "application/json", "x-hearth-request-id": ctx.requestId },
          body: payload,
          signal: controller.signal,
        });
        clear();
        clear = () => undefined;
        if (!res.ok) throw await httpError(res);
        if (!res.body) throw new TypeError("the upstream answered without a body");
        return checked(await readBody(res.body, controller, ctx.idleMs), count);
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

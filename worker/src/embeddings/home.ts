/**
 * A home model as an embedding target: the user's hub picks a sidecar that has the model (the same
 * model elsewhere, when one just failed) and relays its frames — vectors in input order, `alive` while
 * a long input is embedded, `embedded` at the end — as NDJSON. The hub cancels at home when the
 * first-content deadline passes; this side applies the idle deadline between frames, and cancels home
 * whenever it stops reading.
 */
import { HearthError, type AttemptFailure, type EmbedRefusal, type EncodingFormat, type SidecarFrame } from "@hearth/shared";
import { DeadlineExceeded, type DeadlineKind } from "../execute/deadlines.js";
import { LocalFailure } from "../targets/frames.js";
import { hubFor } from "../hub-client/index.js";
import { homeBody } from "./response.js";
import type { EmbeddingTarget } from "./run.js";

export interface HomeEmbedContext {
  env: Env;
  userId: string;
  /** Keeps a cancel going after the response (the Worker's waitUntil). */
  waitUntil(promise: Promise<unknown>): void;
  /** Until the first vectors (ms): enforced by the hub; this side waits a grace longer. */
  firstContentMs: number;
  /** Then the longest silence between frames (ms). */
  idleMs: number;
}

export interface HomeEmbedRequest {
  texts: string[];
  dimensions: number | undefined;
  encodingFormat: EncodingFormat;
}

/** The hub's own deadline comes first; this side's backstop runs this much longer. */
const GRACE_MS = 1_000;
/** How long the hub has to end a cancelled request's stream before this side cancels it itself. */
const CANCEL_GRACE_MS = 2_000;

/** Home cannot take the request now; it was not sent. */
export class HomeRefused extends Error {
  readonly reason: EmbedRefusal;
  constructor(reason: EmbedRefusal) {
    super(`home cannot embed now: ${reason}`);
    this.name = "HomeRefused";
    this.reason = reason;
  }
}

function refusal(reason: EmbedRefusal, target: string): Error {
  if (reason === "no_such_model") return new HearthError("model_not_found", `None of your connected sidecars has the model '${target}'. GET /v1/models lists what they have.`, { param: "model" });
  if (reason === "no_embeddings") {
    return new HearthError("invalid_request", `'${target}' does not make embeddings (GET /v1/models says what each model does). A chat model can be offered for them with the sidecar's 'embeddings' tag.`, { param: "model" });
  }
  return new HomeRefused(reason);
}

/** An error frame from home: the request's own fault becomes a 400 (no other target would do better); the rest a failure to classify. */
function failureOfFrame(frame: Extract<SidecarFrame, { t: "error" }>, target: string): Error {
  if (frame.code === "invalid_request" || frame.code === "unsupported") return new HearthError("invalid_request", `${target} refused the request: ${frame.message}`, { param: "input" });
  if (frame.code === "model_not_found") return new HearthError("model_not_found", `${target}: ${frame.message}`, { param: "model" });
  return new LocalFailure(frame.code, frame.message);
}

export function classifyHome(err: unknown): AttemptFailure {
  if (err instanceof HomeRefused) return { kind: "unavailable", reason: err.reason, contacted: false, message: err.message };
  if (err instanceof LocalFailure) {
    if (err.code === "timeout") return { kind: "timeout", reason: "timeout", message: err.message };
    if (err.code === "overloaded" || err.code === "loading" || err.code === "draining") return { kind: "unavailable", reason: err.code, contacted: true, message: err.message };
    return { kind: "unavailable", reason: err.code === "disconnected" ? "disconnected" : "error", contacted: true, message: err.message };
  }
  return { kind: "unavailable", reason: "error", contacted: true, message: err instanceof Error ? err.message : String(err) };
}

interface Read {
  vectors: string[];
  promptTokens: number;
}

/** The next chunk of the stream, or DeadlineExceeded after `ms`, or the signal's reason. */
function readWithin(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number, kind: DeadlineKind, signal: AbortSignal) {
  return new Promise<ReadableStreamReadResult<Uint8Array>>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      done();
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      done();
      reject(new DeadlineExceeded(kind, ms));
    }, ms);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    reader.read().then(
      (r) => {
        done();
        resolve(r);
      },
      (e: unknown) => {
        done();
        reject(e);
      },
    );
  });
}

/** Reads the relayed frames until `embedded`; throws on an error frame, a deadline, or a stream that ends early. */
async function readVectors(reader: ReadableStreamDefaultReader<Uint8Array>, count: number, target: string, ctx: HomeEmbedContext, signal: AbortSignal, state: { over: boolean }): Promise<Read> {
  const vectors: string[] = new Array<string>(count);
  const decoder = new TextDecoder();
  let buf = "";
  let begun = false;
  for (;;) {
    const r = begun ? await readWithin(reader, ctx.idleMs, "idle", signal) : await readWithin(reader, ctx.firstContentMs + GRACE_MS, "first_token", signal);
    if (r.done) {
      state.over = true;
      throw new LocalFailure("disconnected", "the home stream ended before every vector arrived");
    }
    buf += decoder.decode(r.value, { stream: true });
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === "") continue;
      // The hub validated every frame against the protocol schema before relaying it: parse only.
      const frame = JSON.parse(line) as SidecarFrame;
      // After `error` or `embedded` the request is over at home: nothing to cancel there.
      if (frame.t === "error" || frame.t === "embedded") state.over = true;
      if (frame.t === "error") throw failureOfFrame(frame, target);
      if (frame.t === "alive") begun = true;
      else if (frame.t === "vectors") {
        begun = true;
        if (frame.index + frame.data.length > count) throw new LocalFailure("backend_error", `home sent vectors up to input ${frame.index + frame.data.length - 1} of ${count}`);
        frame.data.forEach((v, i) => (vectors[frame.index + i] = v));
      } else if (frame.t === "embedded") {
        const missing = vectors.findIndex((v) => v === undefined);
        if (frame.count !== count || missing >= 0 || vectors.length !== count) throw new LocalFailure("backend_error", `home ended with ${frame.count} of ${count} vectors`);
        return { vectors, promptTokens: frame.usage.prompt_tokens };
      }
    }
  }
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done);
  } catch {
    // ended either way
  }
}

export function homeEmbedder(ctx: HomeEmbedContext, model: string, req: HomeEmbedRequest): EmbeddingTarget {
  const id = `local/${model}`;
  // Sidecars that failed this request: the hub prefers another with the model.
  const avoid: string[] = [];
  return {
    id,
    provider: "local",
    model,
    classify: classifyHome,
    async attempt(signal) {
      const hub = hubFor(ctx.env, ctx.userId);
      const requestId = crypto.randomUUID();
      const opened = await hub.embed({
        id: requestId,
        model,
        input: req.texts,
        firstContentMs: ctx.firstContentMs,
        ...(req.dimensions !== undefined ? { dimensions: req.dimensions } : {}),
        ...(avoid.length > 0 ? { avoid: [...avoid] } : {}),
      });
      if (!opened.ok) throw refusal(opened.reason, id);
      const reader = opened.frames.getReader();
      const state = { over: false };
      try {
        const read = await readVectors(reader, req.texts.length, id, ctx, signal, state);
        // The hub ends the stream after `embedded`: read that end, off the answer's path.
        ctx.waitUntil(drain(reader));
        return homeBody(read.vectors, model, read.promptTokens, req.encodingFormat);
      } catch (err) {
        avoid.push(opened.sidecarId);
        throw err;
      } finally {
        if (!state.over) {
          // The hub cancels at home and ends the stream; cancelling the stream from here as well would
          // abort the RPC pipe under the hub (workerd logs it as uncaught), so only after a grace.
          ctx.waitUntil(hub.cancel(requestId).catch(() => undefined));
          const timer = setTimeout(() => void reader.cancel().catch(() => undefined), CANCEL_GRACE_MS);
          reader.closed.then(
            () => clearTimeout(timer),
            () => clearTimeout(timer),
          );
        }
      }
    },
  };
}

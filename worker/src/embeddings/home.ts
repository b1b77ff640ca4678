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
import { HomeFrames } from "../targets/home-frames.js";
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

/** `p`, or DeadlineExceeded after `ms`, or the signal's reason, whichever comes first. */
function within<T>(p: Promise<T>, ms: number, kind: DeadlineKind, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
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
    p.then(
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
async function readVectors(home: HomeFrames, count: number, target: string, ctx: HomeEmbedContext, signal: AbortSignal): Promise<Read> {
  const vectors: string[] = new Array<string>(count);
  let begun = false;
  for (;;) {
    const frames = begun ? await within(home.next(), ctx.idleMs, "idle", signal) : await within(home.next(), ctx.firstContentMs + GRACE_MS, "first_token", signal);
    if (!frames) throw new LocalFailure("disconnected", "the home stream ended before every vector arrived");
    for (const frame of frames) {
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
      const home = new HomeFrames(opened.frames, () => ctx.waitUntil(hub.cancel(requestId).catch(() => undefined)));
      try {
        const read = await readVectors(home, req.texts.length, id, ctx, signal);
        // The hub ends the stream after `embedded`: read that end, off the answer's path.
        ctx.waitUntil(home.drain());
        return homeBody(read.vectors, model, read.promptTokens, req.encodingFormat);
      } catch (err) {
        avoid.push(opened.sidecarId);
        throw err;
      } finally {
        home.stop();
      }
    },
  };
}

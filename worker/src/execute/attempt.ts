/**
 * One attempt on one target: open it and read until its answer begins (the first content), within the
 * target's first-token deadline. Until then nothing has reached the client, so a failure here is
 * invisible: the run decides whether to retry or move on. Once it began, the attempt is committed and
 * handed over with its reader, now under the idle deadline.
 */
import { HearthError, type AttemptFailure, type PlannedTarget } from "@hearth/shared";
import { isSubstantive, passthroughOf, type Chunk, type Passthrough } from "../stream/chunks.js";
import type { Opener } from "./opener.js";
import { ClientClosed, DeadlineExceeded, HedgeLost, childController } from "./deadlines.js";
import { AnswerReader } from "./reader.js";

export interface AttemptOptions {
  /** The run's signal (client and total deadline); the attempt's own controller follows it. */
  signal: AbortSignal;
  /** How long the target may take to its first content (ms). */
  firstContentMs: number;
  /** Once content began, the longest silence between chunks (ms). */
  idleMs: number;
  /** Continue an answer that begins with this text. Default: a fresh answer. */
  prefix?: string;
  /** Whether a batch shows the answer has begun (commits the attempt). Default: a substantive chunk in it. */
  begun?: (batch: Chunk[]) => boolean;
}

const anySubstantive = (batch: Chunk[]) => batch.some(isSubstantive);

/** An attempt whose answer has begun. Nothing of it was sent anywhere yet. */
export interface Commit {
  target: PlannedTarget;
  /** The batches read until the answer began (the role opener, the first content). */
  head: Chunk[][];
  /** The rest of the answer. */
  reader: AnswerReader;
  /** From opening to the first content. */
  ms: number;
  /** When the attempt was opened (ms since epoch). */
  startedAt: number;
  classify(err: unknown): AttemptFailure;
  /** When the source may be taken over (the client speaks its API): its bytes so far and the rest, unread. */
  passthrough?: () => Passthrough;
}

export type AttemptResult = { ok: true; commit: Commit } | { ok: false; failure: AttemptFailure; ms: number };

/** The upstream stream ended before the answer began, or before it finished: a dropped connection, as far as retrying goes. */
export class StreamEndedEarly extends Error {
  constructor(message = "the stream ended before any content") {
    super(message);
    this.name = "StreamEndedEarly";
  }
}

/**
 * What an error means for the retry decision. The abort's reason comes first: when we stopped the
 * attempt (a deadline, a lost hedge), whatever the source threw on the way out is beside the point.
 * The client leaving and Hearth's own verdicts on the request are not failures: they are rethrown.
 */
export function failureOf(err: unknown, signal: AbortSignal, classify: (err: unknown) => AttemptFailure): AttemptFailure {
  const cause: unknown = signal.aborted ? signal.reason : err;
  if (cause instanceof ClientClosed || err instanceof HearthError) throw cause instanceof ClientClosed ? cause : err;
  if (cause instanceof DeadlineExceeded) return cause.failure;
  if (cause instanceof HedgeLost) return { kind: "connection", reason: "hedge_lost", message: cause.message };
  if (err instanceof StreamEndedEarly) return { kind: "connection", message: err.message };
  return classify(err);
}

/** Resolves with `p`, or rejects with the signal's reason as soon as it aborts (the source may not listen). */
function unlessAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

export async function attempt(opener: Opener, o: AttemptOptions): Promise<AttemptResult> {
  const startedAt = Date.now();
  const controller = childController(o.signal);
  // The error is made only if the deadline passes: an Error captures a stack, which is not free.
  let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(() => controller.abort(new DeadlineExceeded("first_token", o.firstContentMs)), o.firstContentMs);
  // A sign of life from a target that generates without text yet (home writing a tool call) ends the
  // first-token wait: it has started; from then on only a stall stops it.
  const started = () => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timer = undefined;
    reader?.watchIdle(o.idleMs);
  };
  let reader: AnswerReader | undefined;
  try {
    const stream = await unlessAborted(opener.open({ signal: controller.signal, ...(o.prefix !== undefined ? { prefix: o.prefix } : {}) }), controller.signal);
    reader = new AnswerReader(stream, controller);
    reader.onAlive(started);
    const head: Chunk[][] = [];
    const begun = o.begun ?? anySubstantive;
    for (;;) {
      const r = await reader.next();
      if (r.done) throw new StreamEndedEarly();
      head.push(r.value);
      if (begun(r.value)) break;
    }
    started();
    reader.onAlive(undefined);
    const passthrough = passthroughOf(stream);
    return { ok: true, commit: { target: opener.target, head, reader, ms: Date.now() - startedAt, startedAt, classify: (e) => opener.classify(e), ...(passthrough ? { passthrough } : {}) } };
  } catch (err) {
    clearTimeout(timer);
    // Stop whatever started first; failureOf may rethrow (client gone, Hearth's own verdict).
    if (!controller.signal.aborted) controller.abort(err);
    return { ok: false, failure: failureOf(err, controller.signal, (e) => opener.classify(e)), ms: Date.now() - startedAt };
  }
}

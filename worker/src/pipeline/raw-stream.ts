/**
 * A stream carried as it came, for a client that speaks the upstream's own API (Chat Completions from
 * OpenAI, Messages from Anthropic): once the answer has begun, the upstream's bytes go to the client
 * untouched — no decoding into chunks, no encoding again — and JavaScript wakes only to move them, in
 * reads that take whatever has arrived since the last (see PACE_MS), so a long answer's thousand chunks
 * cost a few dozen wake-ups rather than a thousand. The stream is teed: the runtime drains one branch
 * natively (which keeps it reading the upstream, so chunks queue up for the other), and that copy is
 * read once at the end for what the dialect watches (the end of a whole answer, its usage). Reading
 * every chunk costs tens of ms of CPU per 1,000-token answer in workerd (test/bench: `bare`, `hearth`).
 *
 * Every request still ends: a stall past the idle deadline, the total deadline or the client leaving
 * stops the upstream, and a break ends the client's stream with the dialect's error event after what it
 * had — never a truncated answer passed off as whole. What it gives up: no continuation on another
 * target (the text is never decoded into an answer), so a user with `continueOnBreak` keeps the chunk
 * path; and up to PACE_MS of delay between bursts of a slow answer.
 */
import { StreamEndedEarly, type Commit } from "../execute/attempt.js";
import { ClientClosed, DeadlineExceeded } from "../execute/deadlines.js";
import type { PlanRun } from "../execute/run.js";
import type { Logger } from "../log.js";
import { CompletionBuilder } from "../stream/answer.js";
import type { Passthrough } from "../stream/chunks.js";
import type { RawWatch, StreamEncoder, StreamState } from "./dialect.js";
import { breakOf, brokeMessage, type StreamEnd } from "./stream.js";

/**
 * Before each read (but when the last one filled the buffer: more is waiting), a pause that lets what
 * arrives meanwhile be taken in one read: an eighth of the time since the answer began, up to PACE_MS —
 * none while an answer starts (a short answer is not held back at all), up to PACE_MS for a long one
 * (a slow answer's tokens then leave in bursts, not a wake-up each).
 */
export const PACE_MS = 100;
/** Pauses shorter than this are not taken (ms). */
const MIN_PACE_MS = 2;
const READ_BUFFER = 64 * 1024;

export interface RawAnswerOptions {
  run: PlanRun;
  commit: Commit;
  /** Hands the commit's stream over (commit.passthrough). */
  take: () => Passthrough;
  encoder: StreamEncoder;
  /** The dialect's watch over a stream carried as it came (encoder.raw). */
  watch: RawWatch;
  /** Once the answer began, the longest silence (ms). */
  idleMs: number;
  log: Logger;
  onEnd(end: StreamEnd): void;
}

const bytes = new TextEncoder();

/** Feeds whole lines of a stream's text to `onLine`, however the text was split. */
export function lineFeed(onLine: (line: string) => void): (text: string) => void {
  let partial = "";
  return (text) => {
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLine(line);
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });

export function rawAnswerStream(o: RawAnswerOptions): ReadableStream<Uint8Array> {
  const { commit, run, watch } = o;
  const { head, rest } = o.take();
  const signal = commit.reader.signal;
  const decoder = new TextDecoder();
  const [toClient, copy] = rest.tee();
  // Drained by the runtime, without JavaScript per chunk: its reading fills the client branch's queue.
  const whole = new Response(copy).arrayBuffer();
  whole.catch(() => undefined);
  const reader = toClient.getReader({ mode: "byob" });
  let buffer = new Uint8Array(READ_BUFFER);
  const begunAt = Date.now();
  /** The last read filled the buffer: more is queued, read on at once. */
  let full = false;
  let ended = false;
  const end = (error: StreamEnd["error"]) => {
    if (ended) return;
    ended = true;
    o.onEnd({ error, served: commit.target.id, usage: watch.end().usage });
  };

  // One timer over the idle deadline, re-armed lazily: a read only notes the time.
  let last = Date.now();
  const check = () => {
    const left = last + o.idleMs - Date.now();
    if (left <= 0) commit.reader.close(new DeadlineExceeded("idle", o.idleMs));
    else idle = setTimeout(check, left);
  };
  let idle = setTimeout(check, o.idleMs);
  // Whatever stops the attempt (a deadline, the client gone, the idle clock) settles a pending read.
  const stopped = new Promise<never>((_, reject) => {
    const stop = () => reject(signal.reason);
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  });
  stopped.catch(() => undefined);

  /** The dialect's error event for a break after the answer began (or nothing when the client left). */
  const broke = (err: unknown): string => {
    const verdict = breakOf(run, commit, err);
    if (verdict === "client_closed") {
      end("client_closed");
      return "";
    }
    end(verdict.code);
    o.log.warn("stream broke after commit", { ...verdict, target: commit.target.id });
    const state: StreamState = { answer: new CompletionBuilder(), splices: [], trace: run.trace };
    return o.encoder.errorEvent(verdict.code, brokeMessage(commit.target.id, err), state);
  };

  const close = (controller: ReadableStreamDefaultController<Uint8Array>, tail: string) => {
    clearTimeout(idle);
    if (tail) controller.enqueue(bytes.encode(tail));
    controller.close();
  };

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        for (const b of head) {
          watch.feed(decoder.decode(b, { stream: true }));
          controller.enqueue(b);
        }
      },
      // Every pull enqueues or closes (see stream.ts for why).
      async pull(controller) {
        try {
          const wait = full ? 0 : Math.min(PACE_MS, (Date.now() - begunAt) / 8);
          if (wait >= MIN_PACE_MS) await pause(wait, signal);
          const r = await Promise.race([reader.read(buffer), stopped]);
          if (r.done || !r.value) {
            watch.feed(decoder.decode(await whole));
            if (watch.end().finished) {
              commit.reader.finish();
              end(undefined);
              return close(controller, "");
            }
            return close(controller, broke(new StreamEndedEarly("the stream ended before the answer finished")));
          }
          last = Date.now();
          full = r.value.byteLength === READ_BUFFER;
          // The bytes go out as a copy of their size; the buffer (returned with the read) takes the next.
          controller.enqueue(r.value.slice());
          buffer = new Uint8Array(r.value.buffer);
        } catch (err) {
          close(controller, broke(signal.aborted ? signal.reason : err));
        }
      },
      cancel() {
        // The client went away: stop the upstream.
        clearTimeout(idle);
        commit.reader.close(new ClientClosed());
        void reader.cancel().catch(() => undefined);
        end("client_closed");
      },
    },
    { highWaterMark: 0 },
  );
}

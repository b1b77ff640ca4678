/**
 * The streamed answer, for every API: a committed attempt's batches written as the dialect's encoder
 * says. Committed means its first content arrived; from then a failure cannot be hidden. A break or
 * stall ends the stream with the dialect's error event and without its final event, which the
 * client's SDK raises — never a truncated success. Where the dialect allows it (Chat Completions with
 * `continueOnBreak`), the next target continues the answer instead, in the same stream: the text so
 * far is its prefix, its role opener is dropped and the seam's whitespace trimmed, and the encoder
 * learns of the splice.
 */
import { HearthError, type AttemptFailure, type ErrorCode } from "@hearth/shared";
import { StreamEndedEarly, type Commit } from "../execute/attempt.js";
import { ClientClosed } from "../execute/deadlines.js";
import type { PlanRun } from "../execute/run.js";
import type { Logger } from "../log.js";
import { CompletionBuilder } from "../stream/answer.js";
import { forgetRaw, isSubstantive, type Chunk } from "../stream/chunks.js";
import type { Splice, StreamEncoder, StreamState } from "./dialect.js";

const bytes = new TextEncoder();

export interface StreamEnd {
  /** Undefined when the answer finished. */
  error: ErrorCode | "client_closed" | undefined;
  /** The target whose answer the stream ended with. */
  served: string;
  usage: { prompt_tokens: number; completion_tokens: number } | undefined;
}

export interface AnswerStreamOptions {
  run: PlanRun;
  commit: Commit;
  encoder: StreamEncoder;
  /** Continue an answer that broke on the next target, in this stream. */
  continueOnBreak: boolean;
  log: Logger;
  /** Called once when the stream ends: finished, broken (with the error code), or cancelled by the client. */
  onEnd(end: StreamEnd): void;
}

/** The error event's code for a failure after commit. */
const codeOf = (f: AttemptFailure): ErrorCode => (f.kind === "timeout" ? "upstream_timeout" : f.reason === "invalid_answer" ? "invalid_answer" : "stream_interrupted");

/**
 * What a break after the answer began means, for either stream writer: the error event's code and the
 * trace's reason — or "client_closed" when the client left (nobody to tell). The run books the break.
 */
export function breakOf(run: PlanRun, commit: Commit, err: unknown): { code: ErrorCode; reason: string } | "client_closed" {
  try {
    const f = run.broke(commit, err);
    return { code: codeOf(f), reason: f.reason ?? f.kind };
  } catch (e) {
    if (e instanceof ClientClosed) return "client_closed";
    const code = e instanceof HearthError ? e.code : "stream_interrupted";
    return { code, reason: code };
  }
}

/** The error event's message for a break after the answer began. */
export const brokeMessage = (target: string, err: unknown, after = ""): string => `The answer from ${target} broke after it began (${err instanceof Error ? err.message : "unknown error"}).${after}`;

/**
 * After a splice, until the new leg's first content: its role opener is dropped and, since a prefill
 * cannot end in whitespace (Anthropic refuses it), the whitespace it may repeat is trimmed. Returns
 * the chunk to keep, or undefined.
 */
function atSeam(chunk: Chunk, text: string): Chunk | undefined {
  if (!isSubstantive(chunk)) return undefined;
  const delta = chunk.choices[0]?.delta;
  if (delta?.content && /\s$/.test(text) && /^\s/.test(delta.content)) {
    delta.content = delta.content.replace(/^\s+/, "");
    forgetRaw(chunk);
  }
  return isSubstantive(chunk) ? chunk : undefined;
}

export function answerStream(o: AnswerStreamOptions): ReadableStream<Uint8Array> {
  let commit = o.commit;
  const pending: Chunk[][] = [...commit.head];
  const answer = new CompletionBuilder();
  const splices: Splice[] = [];
  const state: StreamState = { answer, splices, trace: o.run.trace };
  let seam = false;
  let ended = false;
  const end = (error: StreamEnd["error"]) => {
    if (ended) return;
    ended = true;
    const u = answer.usage;
    o.onEnd({ error, served: commit.target.id, usage: u ? { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens } : undefined });
  };

  /** The client's text for the batches waiting (the answer takes them in first). */
  const encodePending = async (): Promise<string> => {
    let out = "";
    for (let batch of pending.splice(0)) {
      if (seam) {
        const kept: Chunk[] = [];
        for (const chunk of batch) {
          const keep = seam ? atSeam(chunk, answer.text) : chunk;
          if (keep) kept.push(keep);
          if (keep) seam = false;
        }
        if (kept.length === 0) continue;
        batch = kept;
      }
      for (const chunk of batch) answer.add(chunk);
      out += await o.encoder.encode(batch, state);
    }
    return out;
  };

  /** After a break: continue on the next target (true), or end the stream with a typed error. */
  const recover = async (controller: ReadableStreamDefaultController<Uint8Array>, err: unknown): Promise<boolean> => {
    const verdict = breakOf(o.run, commit, err);
    if (verdict === "client_closed") {
      end("client_closed");
      return false;
    }
    const { code, reason } = verdict;
    if (o.continueOnBreak && answer.calls.length === 0 && code !== "upstream_error") {
      const next = await o.run.next(answer.text).catch(() => undefined);
      if (next) {
        o.log.info("stream continued on another target", { from: commit.target.id, to: next.target.id, reason, chars: answer.text.length });
        splices.push({ at_chars: answer.text.length, from: commit.target.id, to: next.target.id, reason });
        commit = next;
        pending.push(...next.head);
        seam = true;
        return true;
      }
    }
    end(code);
    o.log.warn("stream broke after commit", { code, reason, target: commit.target.id });
    const message = brokeMessage(commit.target.id, err, splices.length > 0 || o.continueOnBreak ? " No other target could continue it." : "");
    controller.enqueue(bytes.encode(o.encoder.errorEvent(code, message, state)));
    controller.close();
    return false;
  };

  return new ReadableStream<Uint8Array>({
    // Every pull must enqueue or close: after a pull that enqueues nothing the stream never pulls
    // again (the streams spec), and the response would stall until workerd cancels it as hung.
    async pull(controller) {
      for (;;) {
        if (pending.length > 0) {
          // Batches that arrived together (and what was held until the answer began) go out as one
          // write: enqueued one by one, they would reach the client one network write apart.
          const text = await encodePending();
          if (text) return controller.enqueue(bytes.encode(text));
          continue;
        }
        let r: IteratorResult<Chunk[]>;
        try {
          r = await commit.reader.next();
        } catch (err) {
          if (await recover(controller, err)) continue;
          return;
        }
        if (!r.done) {
          pending.push(r.value);
          continue;
        }
        if (!answer.finished) {
          if (await recover(controller, new StreamEndedEarly("the stream ended before the answer finished"))) continue;
          return;
        }
        commit.reader.finish();
        const tail = await o.encoder.finish(state);
        if (tail) controller.enqueue(bytes.encode(tail));
        controller.close();
        end(undefined);
        return;
      }
    },
    cancel() {
      // The client went away: stop the upstream (a home generation is cancelled at home).
      commit.reader.close(new ClientClosed());
      end("client_closed");
    },
  });
}

/**
 * The streamed answer: a committed attempt's chunks as the client's SSE body. Committed means its
 * first content arrived; from then a failure cannot be hidden. A break or stall ends the stream with a
 * typed error event and no `[DONE]`, which the OpenAI SDKs raise as an error — never a truncated
 * success. With `continueOnBreak`, the next target continues the answer instead, in the same stream
 * with the same id (the text so far as its prefix), and the finishing chunk names the splice.
 */
import { HearthError, errorBody, formatTrace, type AttemptFailure, type ErrorCode } from "@hearth/shared";
import { StreamEndedEarly, type Commit } from "../execute/attempt.js";
import { ClientClosed } from "../execute/deadlines.js";
import type { PlanRun } from "../execute/run.js";
import type { Logger } from "../log.js";
import { isSubstantive, jsonOf, type Chunk } from "../stream/chunks.js";
import { CompletionBuilder } from "../stream/answer.js";

const encoder = new TextEncoder();
const frame = (data: string) => `data: ${data}\n\n`;

/** Where a stream was continued by another target. */
export interface Splice {
  /** Characters of answer text the client had when the first target broke. */
  at_chars: number;
  from: string;
  to: string;
  /** Why the first target's answer ended (`idle_timeout`, `disconnected`, `connection`…). */
  reason: string;
}

export interface StreamEnd {
  /** Undefined when the answer finished. */
  error: ErrorCode | "client_closed" | undefined;
  /** The target whose answer the stream ended with. */
  served: string;
  usage: { prompt_tokens: number; completion_tokens: number } | undefined;
}

export interface SseOptions {
  run: PlanRun;
  commit: Commit;
  /** Pass the usage-only chunk on (the client set stream_options.include_usage). */
  includeUsage: boolean;
  /** Continue an answer that broke on the next target, in this stream. */
  continueOnBreak: boolean;
  log: Logger;
  /** Called once when the stream ends: finished, broken (with the error code), or cancelled by the client. */
  onEnd(end: StreamEnd): void;
}

/** The error event's code for a failure after commit. */
function codeOf(f: AttemptFailure): ErrorCode {
  return f.kind === "timeout" ? "upstream_timeout" : "stream_interrupted";
}

export function sseBody(o: SseOptions): ReadableStream<Uint8Array> {
  let commit = o.commit;
  let pending: Chunk[] = commit.head.flat();
  const answer = new CompletionBuilder();
  const splices: Splice[] = [];
  let identity: { id: string; created: number } | undefined;
  /** After a splice, until the new leg's first content: its role opener is dropped, the seam's whitespace trimmed. */
  let seam = false;
  let ended = false;
  const end = (error: StreamEnd["error"]) => {
    if (ended) return;
    ended = true;
    const u = answer.usage;
    o.onEnd({ error, served: commit.target.id, usage: u ? { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens } : undefined });
  };

  /** The SSE text of one chunk, or "" when it is not for the client. Passed on as it arrived unless changed here. */
  const encode = (chunk: Chunk): string => {
    identity ??= { id: chunk.id, created: chunk.created };
    /** Changed here: its text as it arrived no longer stands for it. */
    let changed = false;
    if (seam) {
      if (!isSubstantive(chunk)) return "";
      const delta = chunk.choices[0]?.delta;
      // A prefill cannot end in whitespace (Anthropic refuses it), so the continuation may repeat it.
      if (delta?.content && /\s$/.test(answer.text)) {
        delta.content = delta.content.replace(/^\s+/, "");
        changed = true;
      }
      if (!isSubstantive(chunk)) return "";
      seam = false;
    }
    if (chunk.id !== identity.id || chunk.created !== identity.created) {
      chunk.id = identity.id;
      chunk.created = identity.created;
      changed = true;
    }
    answer.add(chunk);
    if (splices.length > 0 && chunk.choices.some((ch) => ch.finish_reason != null)) {
      Object.assign(chunk, { hearth: { continued: splices, trace: formatTrace(o.run.trace) } });
      changed = true;
    }
    if (!o.includeUsage) {
      // Hearth always asks upstream for usage; a client that did not ask gets OpenAI's usual chunks.
      if (chunk.choices.length === 0) return "";
      if (chunk.usage != null) {
        delete (chunk as { usage?: unknown }).usage;
        changed = true;
      } else if (chunk.usage === null && !changed) {
        // The `"usage":null` every chunk carries once usage is asked for: cut from the text as it arrived.
        return frame(jsonOf(chunk).replace(',"usage":null', ""));
      }
    }
    return frame(jsonOf(chunk, changed));
  };

  /** After a break: continue on the next target (true), or end the stream with a typed error. */
  const recover = async (controller: ReadableStreamDefaultController<Uint8Array>, err: unknown): Promise<boolean> => {
    let code: ErrorCode;
    let reason: string;
    try {
      const f = o.run.broke(commit, err);
      code = codeOf(f);
      reason = f.reason ?? f.kind;
    } catch (e) {
      if (e instanceof ClientClosed) {
        end("client_closed");
        return false;
      }
      code = e instanceof HearthError ? e.code : "stream_interrupted";
      reason = code;
    }
    const detail = err instanceof Error ? err.message : "unknown error";
    if (o.continueOnBreak && answer.calls.length === 0 && code !== "upstream_error") {
      const next = await o.run.next(answer.text).catch(() => undefined);
      if (next) {
        o.log.info("stream continued on another target", { from: commit.target.id, to: next.target.id, reason, chars: answer.text.length });
        splices.push({ at_chars: answer.text.length, from: commit.target.id, to: next.target.id, reason });
        commit = next;
        pending = next.head.flat();
        seam = true;
        return true;
      }
    }
    end(code);
    o.log.warn("stream broke after commit", { code, reason, target: commit.target.id });
    const message = `The answer from ${commit.target.id} broke after it began (${detail}).${splices.length > 0 || o.continueOnBreak ? " No other target could continue it." : ""}`;
    controller.enqueue(encoder.encode(frame(JSON.stringify(errorBody(code, message, undefined, o.run.trace)))));
    controller.close();
    return false;
  };

  return new ReadableStream<Uint8Array>({
    // Every pull must enqueue or close: after a pull that enqueues nothing the stream never pulls
    // again (the streams spec), and the response would stall until workerd cancels it as hung.
    async pull(controller) {
      for (;;) {
        if (pending.length > 0) {
          // Chunks that arrived together (and what was held until the answer began) go out as one
          // write: enqueued one by one, they would reach the client one network write apart.
          const text = pending.splice(0).map(encode).join("");
          if (text) return controller.enqueue(encoder.encode(text));
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
          pending.push(...r.value);
          continue;
        }
        if (!answer.finished) {
          if (await recover(controller, new StreamEndedEarly("the stream ended before the answer finished"))) continue;
          return;
        }
        commit.reader.finish();
        controller.enqueue(encoder.encode(frame("[DONE]")));
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

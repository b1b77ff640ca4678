/**
 * A committed answer streamed to a client in an API's own event format (Anthropic's Messages, OpenAI's
 * Responses): each batch of chunks encoded as the caller says, a break or stall after commit ended
 * with the API's `error` event (and no final event, so the client's SDK raises instead of returning
 * a truncated answer), the end of a whole answer written as the caller says. Chat Completions has
 * its own stream (chat/sse.ts): it may continue a broken answer on another target, these may not —
 * a splice across two targets' content blocks or output items is not something these clients follow.
 */
import { HearthError, type ErrorCode } from "@hearth/shared";
import { CompletionBuilder } from "../stream/answer.js";
import type { StreamEnd } from "../chat/sse.js";
import type { Commit } from "../execute/attempt.js";
import { ClientClosed } from "../execute/deadlines.js";
import type { PlanRun } from "../execute/run.js";
import type { Logger } from "../log.js";
import type { Chunk } from "../stream/chunks.js";

const encoder = new TextEncoder();

export interface AnswerEventsOptions {
  run: PlanRun;
  commit: Commit;
  log: Logger;
  onEnd(end: StreamEnd): void;
  /** The client's SSE text for a batch of chunks (the answer so far already includes them). */
  encode(batch: Chunk[]): string | Promise<string>;
  /** The event that ends a stream which broke after it began. */
  errorEvent(code: ErrorCode, message: string): string;
  /** What follows the last batch of a whole answer ("" when the target's own events already ended it). */
  finish(): string | Promise<string>;
}

export function answerEvents(o: AnswerEventsOptions): ReadableStream<Uint8Array> {
  const { commit } = o;
  const answer = new CompletionBuilder();
  const pending: Chunk[][] = [...commit.head];
  let ended = false;
  const end = (error: StreamEnd["error"]) => {
    if (ended) return;
    ended = true;
    const u = answer.usage;
    o.onEnd({ error, served: commit.target.id, usage: u ? { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens } : undefined });
  };
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, err: unknown) => {
    let code: ErrorCode = "stream_interrupted";
    try {
      const f = o.run.broke(commit, err);
      if (f.kind === "timeout") code = "upstream_timeout";
    } catch (e) {
      if (e instanceof ClientClosed) return end("client_closed");
      if (e instanceof HearthError) code = e.code;
    }
    end(code);
    o.log.warn("stream broke after commit", { code, target: commit.target.id });
    const detail = err instanceof Error ? err.message : "unknown error";
    controller.enqueue(encoder.encode(o.errorEvent(code, `The answer from ${commit.target.id} broke after it began (${detail}).`)));
    controller.close();
  };
  return new ReadableStream<Uint8Array>({
    // Every pull enqueues or closes (see chat/sse.ts for why).
    async pull(controller) {
      for (;;) {
        if (pending.length > 0) {
          let out = "";
          for (const batch of pending.splice(0)) {
            for (const chunk of batch) answer.add(chunk);
            out += await o.encode(batch);
          }
          if (out) return controller.enqueue(encoder.encode(out));
          continue;
        }
        let r: IteratorResult<Chunk[]>;
        try {
          r = await commit.reader.next();
        } catch (err) {
          return fail(controller, err);
        }
        if (!r.done) {
          pending.push(r.value);
          continue;
        }
        if (!answer.finished) return fail(controller, new Error("the stream ended before the answer finished"));
        commit.reader.finish();
        const tail = await o.finish();
        if (tail) controller.enqueue(encoder.encode(tail));
        controller.close();
        end(undefined);
        return;
      }
    },
    cancel() {
      commit.reader.close(new ClientClosed());
      end("client_closed");
    },
  });
}

/**
 * The streamed answer for an Anthropic client: Anthropic's own events as they came when Anthropic
 * served it, or the chat chunks of home or OpenAI translated into the same event sequence. Committed
 * at the first content, like every stream; a break or stall afterwards ends it with an `error` event
 * and no `message_stop`, which Anthropic's SDK raises. (No continuation here: a splice across two
 * targets' content blocks is not something an Anthropic client can follow.)
 */
import type { ErrorCode } from "@hearth/shared";
import { HearthError } from "@hearth/shared";
import type { Commit } from "../execute/attempt.js";
import { ClientClosed } from "../execute/deadlines.js";
import type { PlanRun } from "../execute/run.js";
import type { Logger } from "../log.js";
import { CompletionBuilder } from "../chat/completion.js";
import type { StreamEnd } from "../chat/sse.js";
import { nativeOf, type Chunk } from "../targets/types.js";
import { anthropicErrorEvent } from "./errors.js";
import { AnthropicEncoder } from "./from-chat.js";

const encoder = new TextEncoder();

export interface MessagesSseOptions {
  run: PlanRun;
  commit: Commit;
  /** The model name the client asked for (shown when a translated answer names none). */
  model: string;
  log: Logger;
  onEnd(end: StreamEnd): void;
}

export function messagesSse(o: MessagesSseOptions): ReadableStream<Uint8Array> {
  const { commit } = o;
  const answer = new CompletionBuilder();
  const translate = new AnthropicEncoder(o.model);
  let native = false;
  let pending: Chunk[][] = [...commit.head];
  let ended = false;
  const end = (error: StreamEnd["error"]) => {
    if (ended) return;
    ended = true;
    const u = answer.usage;
    o.onEnd({ error, served: commit.target.id, usage: u ? { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens } : undefined });
  };
  const text = (batch: Chunk[]): string => {
    for (const chunk of batch) answer.add(chunk);
    const sse = nativeOf(batch);
    if (sse !== undefined) {
      native = true;
      return sse;
    }
    return batch.map((c) => translate.encode(c)).join("");
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
    controller.enqueue(encoder.encode(anthropicErrorEvent(code, `The answer from ${commit.target.id} broke after it began (${detail}).`)));
    controller.close();
  };
  return new ReadableStream<Uint8Array>({
    // Every pull enqueues or closes (see chat/sse.ts for why).
    async pull(controller) {
      for (;;) {
        if (pending.length > 0) {
          const out = pending.splice(0).map(text).join("");
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
        // Anthropic's own events already ended with message_stop; a translated answer ends here.
        if (!native) controller.enqueue(encoder.encode(translate.end()));
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

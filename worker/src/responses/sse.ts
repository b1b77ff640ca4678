/**
 * The streamed answer for a Responses client: OpenAI's own events as they came when OpenAI served it,
 * or the chat chunks of home or Anthropic translated into the same event sequence. Committed at the
 * first content, like every stream. The final event (`response.completed` or `.incomplete`) is held
 * until `onFinal` has stored the response, so a client that continues the conversation the moment it
 * sees it always finds it.
 *
 * A break or stall after commit ends the stream with an `error` event — `type`, `code`, `message`,
 * `param`, `sequence_number` as OpenAI sends it, and Hearth's error object under `error` (as OpenAI's
 * nested form has it), which makes the openai SDK raise instead of returning a truncated answer — and
 * no final event. (No continuation here: a splice across two targets' output items is not something
 * a Responses client can follow.)
 */
import { HearthError, errorBody, type ErrorCode } from "@hearth/shared";
import type { Commit } from "../execute/attempt.js";
import { ClientClosed } from "../execute/deadlines.js";
import type { PlanRun } from "../execute/run.js";
import type { Logger } from "../log.js";
import { CompletionBuilder } from "../chat/completion.js";
import type { StreamEnd } from "../chat/sse.js";
import { nativeOf, type Chunk } from "../targets/types.js";
import { ResponsesEncoder } from "./from-chat.js";
import type { Json } from "./schema.js";

const encoder = new TextEncoder();

/** The response a native stream's final event carries, if this SSE text holds it. */
export function finalResponse(sse: string): Json | undefined {
  for (const block of sse.split("\n\n")) {
    if (!block.startsWith("event: response.completed") && !block.startsWith("event: response.incomplete")) continue;
    const data = block.split("\n").find((l) => l.startsWith("data: "));
    if (data) return (JSON.parse(data.slice(6)) as { response: Json }).response;
  }
  return undefined;
}

const eventCount = (sse: string): number => sse.split("\nevent: ").length - (sse.startsWith("event: ") ? 0 : 1);

/** The `error` event that ends a stream which broke after it began. */
export function responsesErrorEvent(code: ErrorCode, message: string, sequence: number, run: PlanRun): string {
  const { error } = errorBody(code, message, undefined, run.trace);
  return `event: error\ndata: ${JSON.stringify({ type: "error", sequence_number: sequence, code, message, param: null, error })}\n\n`;
}

export interface ResponsesSseOptions {
  run: PlanRun;
  commit: Commit;
  /** The Response before any output (translated answers fill it in). */
  shell: Json;
  /** Called with the whole Response before its final event goes out (it stores it). */
  onFinal(response: Json): Promise<void>;
  log: Logger;
  onEnd(end: StreamEnd): void;
}

export function responsesSse(o: ResponsesSseOptions): ReadableStream<Uint8Array> {
  const { commit } = o;
  const answer = new CompletionBuilder();
  const translate = new ResponsesEncoder(o.shell);
  let native = false;
  /** Native events written so far (the sequence number of an error event). */
  let nativeEvents = 0;
  const pending: Chunk[][] = [...commit.head];
  let ended = false;
  const end = (error: StreamEnd["error"]) => {
    if (ended) return;
    ended = true;
    const u = answer.usage;
    o.onEnd({ error, served: commit.target.id, usage: u ? { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens } : undefined });
  };
  const text = async (batch: Chunk[]): Promise<string> => {
    for (const chunk of batch) answer.add(chunk);
    const sse = nativeOf(batch);
    if (sse === undefined) return batch.map((c) => translate.encode(c)).join("");
    native = true;
    nativeEvents += eventCount(sse);
    const final = finalResponse(sse);
    if (final) await o.onFinal(final);
    return sse;
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
    const message = `The answer from ${commit.target.id} broke after it began (${detail}).`;
    controller.enqueue(encoder.encode(responsesErrorEvent(code, message, native ? nativeEvents : translate.sequence, o.run)));
    controller.close();
  };
  return new ReadableStream<Uint8Array>({
    // Every pull enqueues or closes (see chat/sse.ts for why).
    async pull(controller) {
      for (;;) {
        if (pending.length > 0) {
          let out = "";
          for (const batch of pending.splice(0)) out += await text(batch);
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
        // OpenAI's own events already ended with their final event; a translated answer ends here.
        if (!native) {
          const tail = translate.end();
          if (translate.final) await o.onFinal(translate.final);
          controller.enqueue(encoder.encode(tail));
        }
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

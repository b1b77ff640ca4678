/**
 * The streamed answer for a Responses client: OpenAI's own events as they came when OpenAI served it,
 * or the chat chunks of home or Anthropic translated into the same event sequence. The final event (`response.completed` or `.incomplete`) is held
 * until `onFinal` has stored the response, so a client that continues the conversation the moment it
 * sees it always finds it.
 *
 * A break or stall after commit ends the stream with an `error` event — `type`, `code`, `message`,
 * `param`, `sequence_number` as OpenAI sends it, and Hearth's error object under `error` (as OpenAI's
 * nested form has it), which makes the openai SDK raise instead of returning a truncated answer — and
 * no final event. (No continuation here: a splice across two targets' output items is not something
 * a Responses client can follow.)
 */
import { errorBody, type AttemptSummary, type ErrorCode } from "@hearth/shared";
import type { StreamEncoder } from "../../pipeline/dialect.js";
import { nativeOf } from "../../stream/chunks.js";
import { ResponsesEncoder } from "./from-chat.js";
import type { Json } from "./schema.js";

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
export function responsesErrorEvent(code: ErrorCode, message: string, sequence: number, trace: readonly AttemptSummary[]): string {
  const { error } = errorBody(code, message, undefined, [...trace]);
  return `event: error\ndata: ${JSON.stringify({ type: "error", sequence_number: sequence, code, message, param: null, error })}\n\n`;
}

/**
 * `shell`: the Response before any output (translated answers fill it in); `onFinal` is called with
 * the whole Response before its final event goes out (it stores it).
 */
export function responsesEncoder(shell: Json, onFinal: (response: Json) => Promise<void>): StreamEncoder {
  const translate = new ResponsesEncoder(shell);
  let native = false;
  /** Native events written so far (the sequence number of an error event). */
  let nativeEvents = 0;
  return {
    async encode(batch) {
      const sse = nativeOf(batch);
      if (sse === undefined) return batch.map((c) => translate.encode(c)).join("");
      native = true;
      nativeEvents += eventCount(sse);
      const final = finalResponse(sse);
      if (final) await onFinal(final);
      return sse;
    },
    errorEvent: (code, message, state) => responsesErrorEvent(code, message, native ? nativeEvents : translate.sequence, state.trace),
    // OpenAI's own events already ended with their final event; a translated answer ends here, once
    // the response is stored.
    async finish() {
      if (native) return "";
      const tail = translate.end();
      if (translate.final) await onFinal(translate.final);
      return tail;
    },
  };
}

/**
 * Chat Completions' stream: the chunks as OpenAI's SSE, each passed on as the text it arrived as
 * unless something here changed it — re-encoding every chunk of every stream would be work on the
 * hot path that changes nothing. After a continuation the new leg's chunks take the first leg's id
 * and `created`, and the finishing chunk names the splices.
 */
import { errorBody, formatTrace } from "@hearth/shared";
import type { StreamEncoder, StreamState } from "../../pipeline/dialect.js";
import { jsonOf, type Chunk } from "../../stream/chunks.js";

const frame = (data: string) => `data: ${data}\n\n`;

/** `includeUsage`: the client set stream_options.include_usage (Hearth always asks upstream for it). */
export function chatEncoder(includeUsage: boolean): StreamEncoder {
  let identity: { id: string; created: number } | undefined;

  /** The SSE text of one chunk, or "" when it is not for the client. */
  const encode = (chunk: Chunk, state: StreamState): string => {
    identity ??= { id: chunk.id, created: chunk.created };
    /** Changed here: its text as it arrived no longer stands for it. */
    let changed = false;
    if (chunk.id !== identity.id || chunk.created !== identity.created) {
      chunk.id = identity.id;
      chunk.created = identity.created;
      changed = true;
    }
    if (state.splices.length > 0 && chunk.choices.some((ch) => ch.finish_reason != null)) {
      Object.assign(chunk, { hearth: { continued: state.splices, trace: formatTrace(state.trace) } });
      changed = true;
    }
    if (!includeUsage) {
      // A client that did not ask for usage gets OpenAI's usual chunks.
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

  return {
    encode: (batch, state) => batch.map((chunk) => encode(chunk, state)).join(""),
    errorEvent: (code, message, state) => frame(JSON.stringify(errorBody(code, message, undefined, [...state.trace]))),
    finish: () => frame("[DONE]"),
  };
}

/**
 * Chat Completions' stream: the chunks as OpenAI's SSE, each passed on as the text it arrived as
 * unless something here changed it — re-encoding every chunk of every stream would be work on the
 * hot path that changes nothing. After a continuation the new leg's chunks take the first leg's id
 * and `created`, and the finishing chunk names the splices.
 */
import { errorBody, formatTrace } from "@hearth/shared";
import type { RawWatch, StreamEncoder, StreamState } from "../../pipeline/dialect.js";
import { lineFeed } from "../../pipeline/raw-stream.js";
import { jsonOf, type Chunk } from "../../stream/chunks.js";

const frame = (data: string) => `data: ${data}\n\n`;

/**
 * A Chat Completions stream carried as it came: finished at `[DONE]`; its usage from the usage chunk
 * when the client asked for one, else counted — a content delta per token, as OpenAI streams them —
 * for the record (`promptTokens`: Hearth's estimate of the prompt).
 */
export function chatWatch(includeUsage: boolean, promptTokens: () => number): RawWatch {
  let finished = false;
  let deltas = 0;
  let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
  const feed = lineFeed((line) => {
    if (!line.startsWith("data: ")) return;
    if (line === "data: [DONE]") finished = true;
    else if (includeUsage && line.includes('"usage":{')) {
      const u = (JSON.parse(line.slice(6)) as { usage?: { prompt_tokens: number; completion_tokens: number } | null }).usage;
      if (u) usage = { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens };
    } else if (line.includes('"content":"') && !line.includes('"content":""')) deltas++;
  });
  return {
    feed,
    end: () => ({ finished, usage: usage ?? (finished || deltas > 0 ? { prompt_tokens: promptTokens(), completion_tokens: deltas } : undefined) }),
  };
}

/**
 * `includeUsage`: the client set stream_options.include_usage (Hearth asks upstream for it whatever
 * the client asked, except for a stream carried as it came). `promptTokens`: an estimate of the
 * prompt, for the record of a stream carried as it came without usage.
 */
export function chatEncoder(includeUsage: boolean, promptTokens?: () => number): StreamEncoder {
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
    ...(promptTokens ? { raw: () => chatWatch(includeUsage, promptTokens) } : {}),
  };
}

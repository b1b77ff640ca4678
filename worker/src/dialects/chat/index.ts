/**
 * OpenAI's Chat Completions (POST /v1/chat/completions, and POST /v1/code: the same with the task kind
 * forced to code). The common request is this API's own, so decoding is validation, a whole answer
 * is the built completion, and a stream passes each chunk on as it arrived. The one dialect that may
 * continue a broken stream on another target (the user's `continueOnBreak`): a chat client reads
 * text deltas, so a splice is something it can follow.
 */
import { parseChatRequest, type TaskKind } from "@hearth/shared";
import { RawJson, openaiErrors, type Decoded, type Dialect } from "../../pipeline/dialect.js";
import { nativeChat } from "../../providers/openai/index.js";
import { classifyRequest } from "../../routing/features.js";
import { chatEncoder } from "./encode.js";

export interface ChatOptions {
  /** Route as this task kind whatever the classifier says. */
  forceKind?: TaskKind;
  /** Accept a body without `model`, as `auto`. */
  defaultAuto?: boolean;
}

/**
 * The body as the common request (`auto` filled in where the route allows it). `continueOnBreak`: the
 * user's policy continues broken streams on another target, which needs the answer's text, so OpenAI's
 * stream is read chunk by chunk rather than carried as it came.
 */
export function decodeChat(body: unknown, opts: ChatOptions = {}, continueOnBreak = false): Decoded {
  const withModel = opts.defaultAuto && typeof body === "object" && body !== null && !("model" in body) ? { ...body, model: "auto" } : body;
  const chat = parseChatRequest(withModel);
  const stream = chat.stream === true;
  return { chat, stream, native: nativeChat(chat, stream && !continueOnBreak), ...(opts.forceKind ? { forceKind: opts.forceKind } : {}) };
}

export function chatDialect(opts: ChatOptions = {}): Dialect {
  return {
    decode: async (scope) => decodeChat(await scope.json(), opts, scope.user.policy.continueOnBreak === true),
    // OpenAI's own completion is passed on as it came; any other target's is built from its chunks.
    whole: (whole) => (whole.body !== undefined ? new RawJson(whole.body) : whole.answer.build()),
    encoder: (d) => chatEncoder(d.chat.stream_options?.include_usage === true, () => classifyRequest(d.chat).promptTokens),
    continues: (_d, scope) => scope.user.policy.continueOnBreak === true,
    errors: openaiErrors,
  };
}

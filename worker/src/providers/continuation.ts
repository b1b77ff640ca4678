/**
 * Continuing an answer another target began (continueOnBreak), per kind of API. Pure transforms of
 * the request.
 *
 * - Prefill (Anthropic, and home through the tunnel's `prefix`): the text so far becomes the start of
 *   the assistant's turn and the model writes on from its last character — exact by construction.
 * - Chat Completions has no prefill: a trailing assistant message is taken as a finished turn. The
 *   text so far goes in as the assistant's turn, followed by a short instruction to continue it
 *   verbatim. Best effort: a model may still repeat a word or two at the seam.
 */
import type { ChatRequest } from "@hearth/shared";

export const CONTINUE_INSTRUCTION =
  "Your previous message was cut off mid-answer. Continue it from exactly where it stopped: do not repeat any of it, do not comment, just write the rest.";

/** The assistant's turn begins with `prefix`. Trailing whitespace is trimmed (Anthropic refuses a prefill ending in it); the splice restores it. */
export function prefill(req: ChatRequest, prefix: string): ChatRequest {
  return { ...req, messages: [...req.messages, { role: "assistant", content: prefix.trimEnd() }] };
}

export function askToContinue(req: ChatRequest, prefix: string): ChatRequest {
  return {
    ...req,
    messages: [...req.messages, { role: "assistant", content: prefix }, { role: "user", content: CONTINUE_INSTRUCTION }],
  };
}

/**
 * POST /v1/messages — Anthropic's Messages API (what Claude Code and Anthropic's SDKs speak) — and
 * POST /v1/messages/count_tokens. The same planner, policy, privacy, deadlines and fallback as chat,
 * and the same `x-hearth-*` headers. Served by Anthropic, the request goes up as the client sent it
 * and the answer comes back as Anthropic sent it; served by home or OpenAI, it is translated both ways.
 */
import { HearthError, parseTarget, type ChatRequest } from "@hearth/shared";
import { RawJson, type Dialect, type Decoded, type ErrorFormat } from "../../pipeline/dialect.js";
import { completeNative, countNative, openNative, type NativeMessages } from "../../providers/anthropic/native.js";
import { AnthropicApiError } from "../../providers/anthropic/errors.js";
import { anthropicProvider } from "../../providers/anthropic/index.js";
import { classifyRequest } from "../../routing/features.js";
import type { RequestScope } from "../../scope.js";
import { isSubstantive, nativeOf, type Chunk } from "../../stream/chunks.js";
import { MessageAccumulator } from "./accumulate.js";
import { messagesEncoder } from "./encode.js";
import { anthropicErrorBody } from "./errors.js";
import { toMessage } from "./from-chat.js";
import { mapModel } from "./model-map.js";
import { parseMessagesRequest, type MessagesRequest } from "./schema.js";
import { toChatRequest } from "./to-chat.js";

interface Prepared {
  body: MessagesRequest;
  native: NativeMessages;
  chat: ChatRequest;
  anthropicOnly: string | undefined;
}

async function prepare(scope: RequestScope, countOnly = false): Promise<Prepared> {
  const sent = await scope.json();
  // count_tokens takes no max_tokens; Hearth's validation and translation need one, so a stand-in is
  // used for them — never sent upstream.
  const standIn = countOnly && typeof sent === "object" && sent !== null && !("max_tokens" in sent);
  const body = parseMessagesRequest(standIn ? { ...sent, max_tokens: 1 } : sent);
  const mapped = mapModel(body.model, scope.user.policy.modelMap, anthropicProvider.config(scope.env) !== null);
  const { chat, anthropicOnly } = toChatRequest(body, mapped.model);
  const native: NativeMessages = {
    body: (standIn ? sent : body) as Record<string, unknown>,
    version: scope.header("anthropic-version"),
    beta: scope.header("anthropic-beta"),
  };
  return { body, native, chat, anthropicOnly };
}

interface MessagesDecoded extends Decoded {
  body: MessagesRequest;
}

/** Anthropic's error shape (errors.ts): what its SDK and Claude Code read. */
export const anthropicErrors: ErrorFormat = { body: (err) => anthropicErrorBody(err.status, err.message) };

export const messagesDialect: Dialect<MessagesDecoded> = {
  async decode(scope) {
    const { body, native, chat, anthropicOnly } = await prepare(scope);
    return {
      body,
      chat,
      clientModel: body.model,
      stream: body.stream === true,
      native: { provider: "anthropic", open: (cfg, model, call) => openNative(cfg, model, native, call, body.stream === true), complete: (cfg, model, call) => completeNative(cfg, model, native, call) },
      ...(anthropicOnly ? { only: { provider: "anthropic", what: anthropicOnly } } : {}),
    };
  },
  /** An Anthropic client sees the answer begin at its first content block (thinking included), not only at text. */
  begun: (batch: Chunk[]) => batch.some(isSubstantive) || (nativeOf(batch)?.includes("event: content_block_") ?? false),
  whole({ answer, native: events, body }, d) {
    if (body !== undefined) return new RawJson(body);
    if (!events) return toMessage(answer, d.body.model);
    const acc = new MessageAccumulator();
    acc.add(events);
    return acc.message();
  },
  encoder: (d) => messagesEncoder(d.body.model),
  errors: anthropicErrors,
};

/**
 * POST /v1/messages/count_tokens: Anthropic's own count when the model maps to an Anthropic target
 * with a key; otherwise Hearth's estimate (the classifier's tokenizer-free estimator, within about 10%
 * of real tokenizers on English and code), since no other target counts for Anthropic's format.
 */
export async function countTokens(scope: RequestScope): Promise<unknown> {
  const { native, chat } = await prepare(scope, true);
  const target = parseTarget(chat.model);
  const cfg = anthropicProvider.config(scope.env);
  if (target?.provider !== "anthropic" || !cfg) return { input_tokens: classifyRequest(chat).promptTokens };
  await scope.admitted();
  try {
    return await countNative(cfg, target.model, native, scope.requestId);
  } catch (err) {
    if (err instanceof AnthropicApiError && err.status !== undefined) {
      throw new HearthError("upstream_error", `Anthropic refused to count: ${err.message}`, { status: err.status });
    }
    throw new HearthError("upstream_error", `Anthropic could not be reached to count tokens (${err instanceof Error ? err.message : String(err)}).`);
  }
}

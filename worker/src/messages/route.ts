/**
 * POST /v1/messages — Anthropic's Messages API (what Claude Code and Anthropic's SDKs speak) — and
 * POST /v1/messages/count_tokens. The same planner, policy, privacy, deadlines and fallback as chat,
 * and the same `x-hearth-*` headers. Served by Anthropic, the request goes up as the client sent it
 * and the answer comes back as Anthropic sent it; served by home or OpenAI, it is translated both ways.
 */
import { HearthError, parseTarget, type ChatRequest } from "@hearth/shared";
import type { Context } from "hono";
import { admitted } from "../auth/middleware.js";
import { startRun } from "../chat/run.js";
import { wholeAnswer } from "../chat/whole.js";
import { config } from "../config.js";
import { parseJsonBody } from "../http/body.js";
import type { AppEnv } from "../http/types.js";
import { countNative, type NativeMessages } from "../providers/anthropic/native.js";
import { AnthropicApiError } from "../providers/anthropic/errors.js";
import { anthropicProvider } from "../providers/anthropic/index.js";
import { classifyRequest } from "../routing/features.js";
import { planRequest } from "../routing/plan.js";
import { isSubstantive, nativeOf, type Chunk } from "../stream/chunks.js";
import { MessageAccumulator } from "./accumulate.js";
import { toMessage } from "./from-chat.js";
import { mapModel } from "./model-map.js";
import { parseMessagesRequest, type MessagesRequest } from "./schema.js";
import { messagesSse } from "./sse.js";
import { toChatRequest } from "./to-chat.js";

interface Prepared {
  body: MessagesRequest;
  native: NativeMessages;
  chat: ChatRequest;
  anthropicOnly: string | undefined;
}

async function prepare(c: Context<AppEnv>, countOnly = false): Promise<Prepared> {
  const sent = await parseJsonBody(c.req.raw, config(c.env).maxBodyBytes);
  // count_tokens takes no max_tokens; Hearth's validation and translation need one, so a stand-in is
  // used for them — never sent upstream.
  const standIn = countOnly && typeof sent === "object" && sent !== null && !("max_tokens" in sent);
  const body = parseMessagesRequest(standIn ? { ...sent, max_tokens: 1 } : sent);
  const mapped = mapModel(body.model, c.get("principal").user.policy.modelMap, anthropicProvider.config(c.env) !== null);
  const { chat, anthropicOnly } = toChatRequest(body, mapped.model);
  const native: NativeMessages = {
    body: (standIn ? sent : body) as Record<string, unknown>,
    version: c.req.header("anthropic-version"),
    beta: c.req.header("anthropic-beta"),
  };
  return { body, native, chat, anthropicOnly };
}

/** An Anthropic client sees the answer begin at its first content block (thinking included), not only at text. */
const begun = (batch: Chunk[]) => batch.some(isSubstantive) || (nativeOf(batch)?.includes("event: content_block_") ?? false);

export async function messagesRoute(c: Context<AppEnv>): Promise<Response> {
  const startedAt = Date.now();
  const { body, native, chat, anthropicOnly } = await prepare(c);
  const planned = await planRequest(c, chat, { open: anthropicOnly === undefined, clientModel: body.model });
  await admitted(c);
  const { run, answered, ended, failed, headers, streamed } = startRun(c, planned, chat, startedAt, {
    anthropic: native,
    begun,
    ...(anthropicOnly ? { only: { provider: "anthropic", what: anthropicOnly } } : {}),
  });

  if (!body.stream) {
    const { commit, answer, native: events } = await wholeAnswer(run).catch(failed);
    answered(commit.target.id, answer.usage);
    let message: Record<string, unknown>;
    if (events) {
      const acc = new MessageAccumulator();
      acc.add(events);
      message = acc.message();
    } else message = toMessage(answer, body.model);
    return c.json(message, 200, headers(commit.target.id));
  }

  const commit = await run.next().catch(failed);
  if (!commit) return failed(run.exhausted());
  return streamed(messagesSse({ run, commit, model: body.model, log: c.get("log"), onEnd: ended }), commit.target.id);
}

/**
 * POST /v1/messages/count_tokens: Anthropic's own count when the model maps to an Anthropic target
 * with a key; otherwise Hearth's estimate (the classifier's tokenizer-free estimator, within about 10%
 * of real tokenizers on English and code), since no other target counts for Anthropic's format.
 */
export async function countTokensRoute(c: Context<AppEnv>): Promise<Response> {
  const { native, chat } = await prepare(c, true);
  const target = parseTarget(chat.model);
  const cfg = anthropicProvider.config(c.env);
  if (target?.provider === "anthropic" && cfg) {
    await admitted(c);
    try {
      return c.json(await countNative(cfg, target.model, native, c.get("requestId")));
    } catch (err) {
      if (err instanceof AnthropicApiError && err.status !== undefined) {
        throw new HearthError("upstream_error", `Anthropic refused to count: ${err.message}`, { status: err.status });
      }
      throw new HearthError("upstream_error", `Anthropic could not be reached to count tokens (${err instanceof Error ? err.message : String(err)}).`);
    }
  }
  return c.json({ input_tokens: classifyRequest(chat).promptTokens });
}

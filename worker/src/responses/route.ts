/**
 * POST /v1/responses — OpenAI's Responses API (the Vercel AI SDK's default provider, OpenAI's newer
 * tools) — and GET / DELETE /v1/responses/{id}. The same planner, policy, privacy, deadlines and
 * fallback as chat, and the same `x-hearth-*` headers. Served by OpenAI, the client's body goes up as
 * it sent it (the conversation expanded, see conversation.ts) and the events come back as OpenAI sent
 * them; served by home or Anthropic, it is translated both ways. Errors stay in OpenAI's shape.
 *
 * `store` (default true, as OpenAI's; false for a private request, which keeps the prompt off every
 * cloud, unless the client asks for it) keeps the response in the user's Durable Object (store.ts).
 */
import { HearthError, type ChatRequest } from "@hearth/shared";
import type { Context } from "hono";
import { admitted } from "../auth/middleware.js";
import { startRun } from "../chat/run.js";
import { wholeAnswer } from "../chat/whole.js";
import { config } from "../config.js";
import { parseJsonBody } from "../http/body.js";
import type { AppEnv } from "../http/types.js";
import type { NativeResponses } from "../providers/openai/responses.js";
import { PRIVACY_HEADER, privacyOf } from "../routing/features.js";
import { planRequest } from "../routing/plan.js";
import { isSubstantive, nativeOf, type Chunk } from "../stream/chunks.js";
import { hubFor } from "../hub-client/index.js";
import { loadConversation, saveResponse, upstreamBody, type Conversation } from "./conversation.js";
import { newId, responseShell, toResponse } from "./from-chat.js";
import { parseResponsesRequest, type Json, type ResponsesRequest } from "./schema.js";
import { finalResponse, responsesSse } from "./sse.js";
import { toChatRequest } from "./to-chat.js";

interface Prepared {
  body: ResponsesRequest;
  conversation: Conversation;
  chat: ChatRequest;
  native: NativeResponses;
  openaiOnly: string | undefined;
  store: boolean;
}

/** Fields Hearth cannot honour on any target: refused rather than silently ignored. */
function refuseUnsupported(body: ResponsesRequest): void {
  if (body.background === true) throw new HearthError("unsupported_parameter", "Background responses are not supported: Hearth answers while the client waits (stream for long answers).", { param: "background" });
  if (body.conversation != null) throw new HearthError("unsupported_parameter", "OpenAI's Conversations are not supported: continue a conversation with previous_response_id.", { param: "conversation" });
}

async function prepare(c: Context<AppEnv>): Promise<Prepared> {
  const body = parseResponsesRequest(await parseJsonBody(c.req.raw, config(c.env).maxBodyBytes));
  refuseUnsupported(body);
  const { user } = c.get("principal");
  const isPrivate = user.policy.private === true || privacyOf(c.req.header(PRIVACY_HEADER));
  const store = body.store ?? !isPrivate;
  const conversation = await loadConversation(c.env, user.id, body);
  const items = [...conversation.history, ...conversation.input];
  if (items.length === 0 && !body.prompt) throw new HearthError("invalid_request", "Missing required parameter: 'input'.", { param: "input" });
  const { chat, openaiOnly } = toChatRequest(body, items);
  const native: NativeResponses = { body: upstreamBody(body, conversation), shown: { store, previous_response_id: body.previous_response_id ?? null } };
  return { body, conversation, chat, native, openaiOnly, store };
}

/** A Responses client sees the answer begin at its first output item (reasoning included), not only at text. */
const begun = (batch: Chunk[]) => batch.some(isSubstantive) || (nativeOf(batch)?.includes("event: response.output_item.added") ?? false);

export async function responsesRoute(c: Context<AppEnv>): Promise<Response> {
  const startedAt = Date.now();
  const { body, conversation, chat, native, openaiOnly, store } = await prepare(c);
  const planned = await planRequest(c, chat, { open: openaiOnly === undefined });
  await admitted(c);
  const { run, answered, ended, failed, headers, streamed } = startRun(c, planned, chat, startedAt, {
    openaiResponses: native,
    begun,
    ...(openaiOnly ? { only: { provider: "openai", what: openaiOnly } } : {}),
  });
  const userId = c.get("principal").user.id;
  const shell = responseShell(body, newId("resp"), Math.floor(startedAt / 1000), store);
  // Stored before the client sees it complete: a next turn sent at once must find it. A failed write
  // costs the stored copy, never the answer.
  const onFinal = async (response: Json) => {
    if (!store) return;
    await saveResponse(c.env, userId, response, conversation.input).catch((err: unknown) => c.get("log").warn("response store failed", { error: err instanceof Error ? err.message : String(err) }));
  };

  if (!body.stream) {
    const { commit, answer, native: events } = await wholeAnswer(run).catch(failed);
    answered(commit.target.id, answer.usage);
    const response = (events ? finalResponse(events) : undefined) ?? toResponse(answer, shell);
    await onFinal(response);
    return c.json(response, 200, headers(commit.target.id));
  }

  const commit = await run.next().catch(failed);
  if (!commit) return failed(run.exhausted());
  return streamed(responsesSse({ run, commit, shell, onFinal, log: c.get("log"), onEnd: ended }), commit.target.id);
}

const notFound = (id: string) => new HearthError("not_found", `Response with id '${id}' not found.`, { param: "response_id" });

/** GET /v1/responses/{id}: a stored response, as the client got it. */
export async function getResponseRoute(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  if (c.req.query("stream") === "true") throw new HearthError("unsupported_parameter", "Replaying a stored response as a stream is not supported.", { param: "stream" });
  const stored = c.env.SIDECAR_HUB ? await hubFor(c.env, c.get("principal").user.id).responsesGet(id) : null;
  if (stored === null) throw notFound(id);
  return new Response(stored, { headers: { "content-type": "application/json", "x-request-id": c.get("requestId") } });
}

/** DELETE /v1/responses/{id}: removes a stored response (a later turn that continued it can then no longer be continued). */
export async function deleteResponseRoute(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const deleted = c.env.SIDECAR_HUB ? await hubFor(c.env, c.get("principal").user.id).responsesDelete(id) : false;
  if (!deleted) throw notFound(id);
  return c.json({ id, object: "response", deleted: true });
}

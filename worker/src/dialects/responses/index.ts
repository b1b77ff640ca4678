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
import { hubFor } from "../../hub-client/index.js";
import { RawJson, openaiErrors, type Decoded, type Dialect } from "../../pipeline/dialect.js";
import { completeResponses, openResponses, type NativeResponses } from "../../providers/openai/responses.js";
import { PRIVACY_HEADER, privacyOf } from "../../routing/features.js";
import type { RequestScope } from "../../scope.js";
import { isSubstantive, nativeOf, type Chunk } from "../../stream/chunks.js";
import { loadConversation, saveResponse, upstreamBody, type Conversation } from "./conversation.js";
import { finalResponse, responsesEncoder } from "./encode.js";
import { newId, responseShell, toResponse } from "./from-chat.js";
import { parseResponsesRequest, type Json, type ResponsesRequest } from "./schema.js";
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

async function prepare(scope: RequestScope): Promise<Prepared> {
  const body = parseResponsesRequest(await scope.json());
  refuseUnsupported(body);
  const { user } = scope;
  const isPrivate = user.policy.private === true || privacyOf(scope.header(PRIVACY_HEADER));
  const store = body.store ?? !isPrivate;
  const conversation = await loadConversation(scope.env, user.id, body);
  const items = [...conversation.history, ...conversation.input];
  if (items.length === 0 && !body.prompt) throw new HearthError("invalid_request", "Missing required parameter: 'input'.", { param: "input" });
  const { chat, openaiOnly } = toChatRequest(body, items);
  const native: NativeResponses = { body: upstreamBody(body, conversation), shown: { store, previous_response_id: body.previous_response_id ?? null } };
  return { body, conversation, chat, native, openaiOnly, store };
}

interface ResponsesDecoded extends Decoded {
  /** The Response before any output, with its id. */
  shell: Json;
  /** Stores the finished Response (when the client asked for it): before the client sees it complete. */
  onFinal(response: Json): Promise<void>;
}

export const responsesDialect: Dialect<ResponsesDecoded> = {
  async decode(scope) {
    const { body, conversation, chat, native, openaiOnly, store } = await prepare(scope);
    // Stored before the client sees it complete: a next turn sent at once must find it. A failed
    // write costs the stored copy, never the answer.
    const onFinal = async (response: Json) => {
      if (!store) return;
      await saveResponse(scope.env, scope.user.id, response, conversation.input).catch((err: unknown) => scope.log.warn("response store failed", { error: err instanceof Error ? err.message : String(err) }));
    };
    return {
      chat,
      stream: body.stream === true,
      native: { provider: "openai", open: (cfg, model, call) => openResponses(cfg, model, native, call), complete: (cfg, model, call) => completeResponses(cfg, model, native, call) },
      ...(openaiOnly ? { only: { provider: "openai", what: openaiOnly } } : {}),
      shell: responseShell(body, newId("resp"), Math.floor(scope.startedAt / 1000), store),
      onFinal,
    };
  },
  /** A Responses client sees the answer begin at its first output item (reasoning included), not only at text. */
  begun: (batch: Chunk[]) => batch.some(isSubstantive) || (nativeOf(batch)?.includes("event: response.output_item.added") ?? false),
  async whole({ answer, native: events, body }, d) {
    if (body !== undefined) {
      // OpenAI's own Response, as the client gets it: stored first, then sent as it came.
      await d.onFinal(JSON.parse(body) as Json);
      return new RawJson(body);
    }
    const response = (events ? finalResponse(events) : undefined) ?? toResponse(answer, d.shell);
    await d.onFinal(response);
    return response;
  },
  encoder: (d) => responsesEncoder(d.shell, d.onFinal),
  errors: openaiErrors,
};

const notFound = (id: string) => new HearthError("not_found", `Response with id '${id}' not found.`, { param: "response_id" });

/** GET /v1/responses/{id}: a stored response, as the client got it (JSON text). */
export async function storedResponse(scope: RequestScope, id: string, stream: string | undefined): Promise<string> {
  if (stream === "true") throw new HearthError("unsupported_parameter", "Replaying a stored response as a stream is not supported.", { param: "stream" });
  const stored = scope.env.SIDECAR_HUB ? await hubFor(scope.env, scope.user.id).responsesGet(id) : null;
  if (stored === null) throw notFound(id);
  return stored;
}

/** DELETE /v1/responses/{id}: removes a stored response (a later turn that continued it can then no longer be continued). */
export async function deleteStoredResponse(scope: RequestScope, id: string): Promise<{ id: string; object: "response"; deleted: true }> {
  const deleted = scope.env.SIDECAR_HUB ? await hubFor(scope.env, scope.user.id).responsesDelete(id) : false;
  if (!deleted) throw notFound(id);
  return { id, object: "response", deleted: true };
}

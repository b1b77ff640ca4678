/**
 * A turn's whole conversation, which Hearth keeps itself (store.ts, in the user's Durable Object):
 * `previous_response_id` is expanded into the earlier turns, item references into the items they
 * name. Then every target gets the same conversation — translated for home and Anthropic, as input
 * items for OpenAI — so the next turn may be served by a different target than the last.
 *
 * OpenAI gets `store: false` and no `previous_response_id`: it keeps no second copy of the user's
 * conversation, and a turn it served continues anywhere. Reasoning items without encrypted content
 * are left out of what it gets (under `store: false` OpenAI refuses them: they point into a store it
 * does not keep); a client that wants reasoning carried across turns asks for
 * `include: ["reasoning.encrypted_content"]`, as for any stateless use of the API.
 */
import { HearthError } from "@hearth/shared";
import { hubFor, type ResponsesContext as Context, type StoredResponse } from "../../hub-client/index.js";
import { typeOf, type Item, type Json, type ResponsesRequest } from "./schema.js";

export interface Conversation {
  /** The earlier turns (previous_response_id expanded), oldest first. */
  history: Item[];
  /** This turn's own input, item references replaced by the items they name. */
  input: Item[];
}

/** `input` as items: a string is one user message. */
export function inputItems(input: ResponsesRequest["input"]): Item[] {
  if (typeof input === "string") return [{ type: "message", role: "user", content: input }];
  return (input ?? []) as Item[];
}

const references = (items: readonly Item[]): string[] => items.filter((i) => typeOf(i) === "item_reference").map((i) => String(i.id));

/** The turn's conversation; 404 naming the field when an earlier turn or a referenced item is not stored. */
export async function loadConversation(env: Env, userId: string, req: ResponsesRequest): Promise<Conversation> {
  const own = inputItems(req.input);
  const refs = references(own);
  const previous = req.previous_response_id ?? null;
  if (previous === null && refs.length === 0) return { history: [], input: own };
  const ctx = env.SIDECAR_HUB ? (JSON.parse(await hubFor(env, userId).responsesContext(previous, refs)) as Context) : ({ ok: false, missing: "previous_response_id", id: previous ?? "" } as const);
  if (!ctx.ok) {
    if (ctx.missing === "item") {
      throw new HearthError("not_found", `Item with id '${ctx.id}' not found.`, { param: `input[${own.findIndex((i) => i.id === ctx.id)}]` });
    }
    const which = ctx.id === previous ? "" : ` (an earlier turn of its conversation, '${ctx.id}', is no longer stored)`;
    throw new HearthError("not_found", `Previous response with id '${String(previous)}' not found${which}.`, { param: "previous_response_id" });
  }
  return { history: ctx.history, input: own.map((i) => (typeOf(i) === "item_reference" ? (ctx.items[String(i.id)] ?? i) : i)) };
}

/** Under store: false OpenAI refuses a reasoning item it cannot read from its own store. */
const sendable = (item: Item): boolean => typeOf(item) !== "reasoning" || typeof item.encrypted_content === "string";

/** The body an OpenAI target gets: the client's own, with the whole conversation as its input and `store: false`. */
export function upstreamBody(req: ResponsesRequest, c: Conversation): Json {
  const { previous_response_id: _previous, ...rest } = req;
  const items = [...c.history, ...c.input];
  const sent = req.input;
  const resolved = Array.isArray(sent) && c.input.some((item, i) => item !== sent[i]);
  const same = c.history.length === 0 && !resolved && items.every(sendable);
  return { ...rest, ...(same ? {} : { input: items.filter(sendable) }), store: false };
}

/** Keeps a response for GET and for the turns that continue it. */
export async function saveResponse(env: Env, userId: string, response: Json, input: Item[]): Promise<void> {
  if (!env.SIDECAR_HUB) return;
  const record: StoredResponse = { response: response as StoredResponse["response"], input };
  await hubFor(env, userId).responsesPut(JSON.stringify(record));
}

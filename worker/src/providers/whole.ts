/**
 * Answers fetched whole (for a client that does not stream): the upstream's complete answer as the one
 * batch of a stream, so the executor times, retries and falls back exactly as for a stream — its first
 * content is the whole answer. A handful of chunks per answer, never one per token.
 */
import type { ChatCompletion } from "openai/resources/chat/completions";
import type { Chunk, StreamItem } from "../stream/chunks.js";

/** A stream of one batch. */
export async function* oneBatch(batch: Chunk[]): AsyncGenerator<StreamItem> {
  yield batch;
}

/** A chat completion as the chunks a stream of it would have carried: the message, its finish, its usage. */
export function completionChunks(c: ChatCompletion): Chunk[] {
  const choice = c.choices[0];
  const base = { id: c.id, object: "chat.completion.chunk" as const, created: c.created, model: c.model, ...(c.system_fingerprint ? { system_fingerprint: c.system_fingerprint } : {}) };
  const m = choice?.message;
  const delta: Chunk["choices"][number]["delta"] = { role: "assistant", content: m?.content ?? "" };
  if (m?.refusal) delta.refusal = m.refusal;
  const calls = (m?.tool_calls ?? []).flatMap((t, index) => (t.type === "function" ? [{ index, id: t.id, type: "function" as const, function: { name: t.function.name, arguments: t.function.arguments } }] : []));
  if (calls.length > 0) delta.tool_calls = calls;
  const out: Chunk[] = [
    { ...base, choices: [{ index: 0, delta, finish_reason: null, logprobs: null }] },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: choice?.finish_reason ?? "stop", logprobs: null }] },
  ];
  if (c.usage) out.push({ ...base, choices: [], usage: c.usage });
  return out;
}

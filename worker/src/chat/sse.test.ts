import { describe, expect, it } from "vitest";
import { createLogger } from "../log.js";
import type { ChatCompletionChunk } from "../providers/types.js";
import { openStream, sseBody, type StreamEnd } from "./sse.js";

const chunk = (delta: object, finish: string | null = null, usage?: object): ChatCompletionChunk =>
  ({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) }) as ChatCompletionChunk;

/** An upstream that yields its chunks on later ticks, like a network stream. */
async function* upstream(): AsyncGenerator<ChatCompletionChunk> {
  const parts = [chunk({ role: "assistant" }), chunk({ content: "Hel" }), chunk({ content: "lo" }), chunk({}, "stop"), chunk({}, null, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 })];
  for (const p of parts) {
    await new Promise((r) => setTimeout(r, 1));
    yield p;
  }
}

/** Reads one chunk at a time, as an HTTP response pump does (no read is outstanding during a pull). */
async function readAll(body: ReadableStream<Uint8Array>): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const r = await Promise.race([reader.read(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`stalled after: ${text}`)), 2_000))]);
    if (r.done) return text;
    text += decoder.decode(r.value);
  }
}

describe("sseBody", () => {
  it.each([false, true])("ends with [DONE] whether or not the client asked for usage (include_usage %s)", async (includeUsage) => {
    let end: StreamEnd | undefined;
    const body = sseBody(await openStream(upstream()), { includeUsage, targetId: "t", log: createLogger("error"), onEnd: (e) => (end = e) });
    const events = (await readAll(body)).split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    expect(events.some((e) => e.includes('"usage"'))).toBe(includeUsage);
    expect(events.filter((e) => e.includes('"content"')).map((e) => (JSON.parse(e.slice(6)) as { choices: { delta: { content: string } }[] }).choices[0]?.delta.content)).toEqual(["Hel", "lo"]);
    expect(end).toEqual({ error: undefined, usage: { prompt_tokens: 3, completion_tokens: 2 } });
  });
});

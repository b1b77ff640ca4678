import Anthropic from "@anthropic-ai/sdk";
import type { RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { describe, expect, it } from "vitest";
import { StreamTruncatedError } from "./errors.js";
import { chunkedResponse, RECORDED_SSE, RECORDED_TEXT, RECORDED_TOOL_ARGS, splitAt } from "./test-fixtures.js";
import { ALIVE, type StreamItem } from "../../stream/chunks.js";
import { createChunkTranslator, translateStream } from "./stream.js";

/** The events the SDK parses out of RECORDED_SSE (ping dropped, as the SDK does). */
function recordedEvents(): RawMessageStreamEvent[] {
  return RECORDED_SSE.split("\n\n")
    .filter((block) => block && !block.startsWith("event: ping"))
    .map((block) => JSON.parse(block.slice(block.indexOf("data: ") + 6)) as RawMessageStreamEvent);
}

async function* iterate<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function collect(batches: AsyncIterable<StreamItem>): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const batch of batches) if (batch !== ALIVE) out.push(...batch);
  return out;
}

/** What a client would rebuild from the chunks. */
function assemble(chunks: readonly ChatCompletionChunk[]) {
  let text = "";
  const args: string[] = [];
  const tools: { id?: string; name?: string }[] = [];
  let finish: string | null = null;
  for (const c of chunks) {
    for (const choice of c.choices) {
      text += choice.delta.content ?? "";
      for (const call of choice.delta.tool_calls ?? []) {
        args[call.index] = (args[call.index] ?? "") + (call.function?.arguments ?? "");
        if (call.id) tools[call.index] = { id: call.id, name: call.function?.name };
      }
      finish = choice.finish_reason ?? finish;
    }
  }
  return { text, args, tools, finish, usage: chunks.at(-1)?.usage };
}

describe("createChunkTranslator", () => {
  it("translates a realistic stream: role first, text, tool calls numbered from 0, finish, usage last", () => {
    const translate = createChunkTranslator(1_700_000_000);
    const chunks = recordedEvents().flatMap(translate);
    expect(chunks[0]).toEqual({
      id: "chatcmpl-msg_01RecordedStream",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: "claude-sonnet-4-6",
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null, logprobs: null }],
    });
    for (const c of chunks) {
      expect(c).toMatchObject({
        id: "chatcmpl-msg_01RecordedStream",
        object: "chat.completion.chunk",
        model: "claude-sonnet-4-6",
      });
    }
    const toolStarts = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? [])).filter((t) => t.id);
    expect(toolStarts).toEqual([
      { index: 0, id: "toolu_01Zurich", type: "function", function: { name: "get_weather", arguments: "" } },
      { index: 1, id: "toolu_02Tokyo", type: "function", function: { name: "get_weather", arguments: "" } },
    ]);
    const { text, args, finish } = assemble(chunks);
    expect(text).toBe(RECORDED_TEXT);
    expect(args).toEqual(RECORDED_TOOL_ARGS);
    expect(finish).toBe("tool_calls");
    expect(chunks.at(-2)?.choices).toEqual([{ index: 0, delta: {}, finish_reason: "tool_calls", logprobs: null }]);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 472 + 20 + 100, completion_tokens: 89, total_tokens: 681 },
    });
  });

  it("ignores thinking and signature deltas", () => {
    const chunks = recordedEvents().slice(0, 5).flatMap(createChunkTranslator(0));
    expect(chunks).toHaveLength(1); // only message_start's role chunk
  });
});

describe("translateStream", () => {
  it("yields every chunk of a complete stream", async () => {
    const chunks = await collect(translateStream(iterate(recordedEvents()), 0));
    expect(assemble(chunks).text).toBe(RECORDED_TEXT);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(89);
  });

  it("yields a sign of life for thinking, which has no OpenAI chunk, and nothing for a ping", async () => {
    const events = [
      { type: "message_start", message: { id: "m1", model: "claude", usage: { input_tokens: 1, output_tokens: 0, cache_creation_input_tokens: null, cache_read_input_tokens: null } } },
      { type: "ping" },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "hmm" } },
      { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Hi" } },
      { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } },
      { type: "message_stop" },
    ] as unknown as RawMessageStreamEvent[];
    const items: StreamItem[] = [];
    for await (const item of translateStream(iterate(events), 0)) items.push(item);
    expect(items.map((i) => (i === ALIVE ? "alive" : i.length))).toEqual([1, "alive", 1, 1, 1]);
  });

  it("throws StreamTruncatedError when the events end without message_stop", async () => {
    const cut = recordedEvents().slice(0, -1);
    const seen: ChatCompletionChunk[] = [];
    const run = async () => {
      for await (const batch of translateStream(iterate(cut), 0)) if (batch !== ALIVE) seen.push(...batch);
    };
    await expect(run()).rejects.toBeInstanceOf(StreamTruncatedError);
    expect(seen.some((c) => c.usage)).toBe(false);
  });
});

describe("byte-split SSE through the real SDK", () => {
  const bytes = new TextEncoder().encode(RECORDED_SSE);

  async function viaSdk(chunks: Uint8Array[]) {
    const client = new Anthropic({
      apiKey: "k",
      maxRetries: 0,
      logLevel: "off",
      fetch: async () => chunkedResponse(chunks),
    });
    const events = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 100,
      stream: true,
      messages: [{ role: "user", content: "weather?" }],
    });
    return assemble(await collect(translateStream(events, 0)));
  }

  /** Offsets inside multi-byte characters, between the two newlines ending an event, and mid-line. */
  function awkwardOffsets(): number[] {
    const offsets = new Set<number>();
    for (let i = 1; i < bytes.length; i++) {
      const byte = bytes[i] ?? 0;
      if ((byte & 0xc0) === 0x80) offsets.add(i); // a UTF-8 continuation byte: splitting here cuts a character
      if (bytes[i - 1] === 0x0a && byte === 0x0a) offsets.add(i); // between \n and \n
    }
    const text = RECORDED_SSE;
    for (const marker of ["data: {", "\"text_delta\"", "partial_json", "event: message_stop"]) {
      let at = text.indexOf(marker);
      while (at >= 0) {
        offsets.add(new TextEncoder().encode(text.slice(0, at + 3)).length);
        at = text.indexOf(marker, at + 1);
      }
    }
    return [...offsets].sort((a, b) => a - b);
  }

  let whole: Awaited<ReturnType<typeof viaSdk>>;

  it("assembles the recorded text, tool arguments and usage from the unsplit stream", async () => {
    whole = await viaSdk([bytes]);
    expect(whole.text).toBe(RECORDED_TEXT);
    expect(whole.args).toEqual(RECORDED_TOOL_ARGS);
    expect(whole.finish).toBe("tool_calls");
    expect(whole.usage).toEqual({ prompt_tokens: 592, completion_tokens: 89, total_tokens: 681 });
  });

  it("assembles the same from two pieces split at every byte offset", async () => {
    for (let at = 1; at < bytes.length; at++) expect(await viaSdk(splitAt(bytes, [at]))).toEqual(whole);
  });

  it("assembles the same when split at every awkward offset at once", async () => {
    const offsets = awkwardOffsets();
    expect(offsets.length).toBeGreaterThan(50);
    expect(await viaSdk(splitAt(bytes, offsets))).toEqual(whole);
  });

  it("assembles the same from one byte at a time", async () => {
    const every = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(await viaSdk(splitAt(bytes, every))).toEqual(whole);
  });

  it("a response cut mid-stream throws instead of looking complete", async () => {
    const cutAt = RECORDED_SSE.indexOf("event: message_delta");
    const partial = new TextEncoder().encode(RECORDED_SSE.slice(0, cutAt));
    await expect(viaSdk([partial])).rejects.toBeInstanceOf(StreamTruncatedError);
  });
});

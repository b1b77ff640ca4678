/**
 * The Anthropic provider end to end: real `wrangler dev`, the official `openai` client as the caller,
 * and the fake Anthropic Messages API as the upstream. Hearth translates both ways; the client must
 * not be able to tell.
 */
import OpenAI from "openai";
import type { ChatCompletionTool } from "openai/resources/chat/completions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseTrace } from "@hearth/shared";
import { startFakeAnthropic, type FakeAnthropic } from "../fakes/anthropic.js";
import { startWorker, type RunningWorker } from "../support/wrangler.js";
import { postChat } from "../support/chat.js";

let fake: FakeAnthropic;
let worker: RunningWorker;
let client: OpenAI;
const MODEL = "anthropic/claude-x";

interface AnthropicBody {
  model: string;
  system?: unknown;
  max_tokens: number;
  messages: { role: string; content: unknown }[];
  tools?: unknown[];
}

const sentBody = (i = 0) => fake.requests[i]?.body as AnthropicBody;
const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

const tools: ChatCompletionTool[] = [
  { type: "function", function: { name: "lookup", parameters: { type: "object", properties: { query: { type: "string" } } } } },
];

const post = (body: object) => postChat(worker.url, client.apiKey, body);

beforeAll(async () => {
  fake = await startFakeAnthropic();
  worker = await startWorker({
    vars: { ANTHROPIC_API_KEY: fake.apiKey, ANTHROPIC_BASE_URL: fake.url, HEARTH_RETRY_BASE_MS: "20" },
  });
  const user = await worker.createUser("anna");
  client = new OpenAI({ apiKey: user.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await worker?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

describe("Anthropic provider through Hearth", () => {
  it("answers a non-streaming request in OpenAI's shape with Anthropic's usage", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: "user", content: "hello there" }] })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.choices[0]?.message.content).toBe("Echo: hello there");
    expect(data.choices[0]?.finish_reason).toBe("stop");
    // The fake counts input as the JSON of what it received, so the numbers must be passed on exactly.
    const body = sentBody();
    const input = tokens(JSON.stringify([body.system ?? "", body.messages, body.tools ?? []]));
    const output = tokens("Echo: hello there");
    expect(data.usage).toMatchObject({ prompt_tokens: input, completion_tokens: output, total_tokens: input + output });
    expect(response.headers.get("x-hearth-target")).toBe(MODEL);
    expect(response.headers.get("x-hearth-attempts")).toBe("1");
    expect(fake.requests).toHaveLength(1);
    expect(body.model).toBe("claude-x");
    expect(body.max_tokens).toBeGreaterThan(0);
  });

  it("routes a bare claude-* model name to Anthropic", async () => {
    const { response } = await client.chat.completions
      .create({ model: "claude-haiku-4-5", messages: [{ role: "user", content: "bare" }] })
      .withResponse();
    expect(response.headers.get("x-hearth-target")).toBe("anthropic/claude-haiku-4-5");
    expect(sentBody().model).toBe("claude-haiku-4-5");
  });

  it("streams text in OpenAI's chunk shape, without a usage key unless asked", async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: MODEL, stream: true, messages: [{ role: "user", content: "stream me please" }] })
      .withResponse();
    let text = "";
    let finish: string | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      expect(chunk.object).toBe("chat.completion.chunk");
      expect("usage" in chunk).toBe(false);
      expect(chunk.choices).toHaveLength(1);
    }
    expect(text).toBe("Echo: stream me please");
    expect(finish).toBe("stop");
    expect(chunks).toBeGreaterThan(3);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    expect(response.headers.get("x-hearth-target")).toBe(MODEL);
  });

  it("adds exactly one usage chunk, last, when stream_options.include_usage is set", async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "count" }],
    });
    const all = [];
    for await (const chunk of stream) all.push(chunk);
    const withUsage = all.filter((c) => c.usage);
    expect(withUsage).toHaveLength(1);
    expect(all.at(-1)).toBe(withUsage[0]);
    expect(withUsage[0]?.choices).toEqual([]);
    const body = sentBody();
    const input = tokens(JSON.stringify([body.system ?? "", body.messages, body.tools ?? []]));
    expect(withUsage[0]?.usage).toMatchObject({ prompt_tokens: input, completion_tokens: tokens("Echo: count") });
  });

  it("round-trips a tool call: call out with parsed arguments, result back in", async () => {
    const first = await client.chat.completions.create({ model: MODEL, tools, messages: [{ role: "user", content: "weather in Oslo" }] });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type).toBe("function");
    if (call?.type !== "function") throw new Error("no function call");
    expect(call.function.name).toBe("lookup");
    expect(JSON.parse(call.function.arguments)).toEqual({ query: "weather in Oslo" });
    expect(sentBody().tools).toEqual([{ name: "lookup", input_schema: { type: "object", properties: { query: { type: "string" } } } }]);

    const second = await client.chat.completions.create({
      model: MODEL,
      tools,
      messages: [
        { role: "user", content: "weather in Oslo" },
        first.choices[0]!.message,
        { role: "tool", tool_call_id: call.id, content: "sunny, 21C" },
      ],
    });
    expect(second.choices[0]?.message.content).toBe("Tool said: sunny, 21C");
    expect(second.choices[0]?.finish_reason).toBe("stop");
    expect(sentBody(1).messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(sentBody(1).messages[2]?.content).toEqual([{ type: "tool_result", tool_use_id: call.id, content: "sunny, 21C" }]);
  });

  it("streams a tool call whose assembled arguments equal the non-streaming ones", async () => {
    const messages = [{ role: "user" as const, content: "weather in Bergen" }];
    const whole = await client.chat.completions.create({ model: MODEL, tools, messages });
    const wholeCall = whole.choices[0]?.message.tool_calls?.[0];
    if (wholeCall?.type !== "function") throw new Error("no function call");

    const stream = await client.chat.completions.create({ model: MODEL, tools, messages, stream: true });
    let id: string | undefined;
    let name: string | undefined;
    let args = "";
    let argDeltas = 0;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        expect(tc.index).toBe(0);
        id ??= tc.id;
        name ??= tc.function?.name;
        if (tc.function?.arguments) {
          args += tc.function.arguments;
          argDeltas++;
        }
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(argDeltas).toBeGreaterThan(1);
    expect(name).toBe("lookup");
    expect(id).toMatch(/^toolu_/);
    expect(JSON.parse(args)).toEqual(JSON.parse(wholeCall.function.arguments));
    expect(finish).toBe("tool_calls");
  });

  it("puts the system prompt in Anthropic's system field, not in messages", async () => {
    const r = await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "hi" },
      ],
    });
    expect(r.choices[0]?.message.content).toBe("Echo: hi");
    expect(sentBody().system).toBe("You are terse.");
    expect(sentBody().messages).toEqual([{ role: "user", content: [{ type: "text", text: "hi" }] }]);
  });

  it("turns an image data URL into a base64 image block", async () => {
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    const r = await client.chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${png}` } },
          ],
        },
      ],
    });
    expect(r.choices[0]?.message.content).toBe("Echo: what is this");
    expect(sentBody().messages[0]?.content).toEqual([
      { type: "text", text: "what is this" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: png } },
    ]);
  });

  it("retries an overloaded 529 and serves on the second attempt", async () => {
    fake.enqueue({ type: "status", status: 529 });
    const { data, response } = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: "user", content: "again" }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("Echo: again");
    expect(response.headers.get("x-hearth-attempts")).toBe("2");
    const trace = parseTrace(response.headers.get("x-hearth-trace"));
    expect(trace.map((t) => [t.target, t.outcome, t.reason, t.status])).toEqual([
      [MODEL, "failed", "http_529", 529],
      [MODEL, "served", "ok", 200],
    ]);
    expect(fake.requests).toHaveLength(2);
  });

  it("passes an Anthropic 400 on as a 400, without retrying", async () => {
    fake.enqueue({ type: "status", status: 400, message: "messages.0: bad thing" });
    const r = await post({ model: MODEL, messages: [{ role: "user", content: "x" }] });
    expect(r.status).toBe(400);
    expect(r.headers.get("x-hearth-error")).toBe("upstream_error");
    const body = (await r.json()) as { error: { message: string; hearth: boolean } };
    expect(body.error.message).toContain("bad thing");
    expect(body.error.hearth).toBe(true);
    expect(fake.requests).toHaveLength(1);
  });

  it("ends a stream cut after its first content with an error event and no [DONE]", async () => {
    // message_start, content_block_start, ping, two text deltas — then the socket dies.
    fake.enqueue({ type: "cut", afterEvents: 5 });
    const r = await post({ model: MODEL, stream: true, messages: [{ role: "user", content: "a longer answer please" }] });
    expect(r.status).toBe(200);
    const text = await r.text();
    const events = text.split("\n\n").filter(Boolean);
    expect(text).toContain('"content":"Echo"');
    expect(events.at(-1)).toContain('"code":"stream_interrupted"');
    expect(text).not.toContain("[DONE]");
    expect(fake.requests).toHaveLength(1); // committed: no retry after the first content

    fake.enqueue({ type: "cut", afterEvents: 5 });
    const stream = await client.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "a longer answer please" }],
    });
    let received = "";
    await expect(async () => {
      for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? "";
    }).rejects.toThrow(/broke|ended/);
    expect(received.startsWith("Echo")).toBe(true);
  });
});

/**
 * Drives the Ollama fake with the official `ollama` client: if the client accepts its answers, parses
 * its NDJSON streams and raises its errors for the fake's faults, the fake speaks Ollama's protocol.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
// The test package does not depend on `ollama`; the sidecar does, and this must be the same client.
import { Ollama, type ChatResponse } from "ollama";
import { startFakeOllama, type FakeOllama } from "../fakes/ollama.js";

let fake: FakeOllama;
let client: Ollama;

beforeAll(async () => {
  fake = await startFakeOllama({
    models: [
      { name: "qwen2.5:7b", family: "qwen2", contextLength: 32768, tools: true, size: 4_683_087_332 },
      { name: "tinyllama", contextLength: 2048 },
    ],
  });
  client = new Ollama({ host: fake.url });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
  },
};

async function collect(stream: AsyncIterable<ChatResponse>): Promise<ChatResponse[]> {
  const out: ChatResponse[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

const statusOf = (err: unknown) => (err as { status_code?: number }).status_code;

describe("fake Ollama, through the official client", () => {
  it("lists models with details, and answers / and /api/version", async () => {
    const { models } = await client.list();
    expect(models.map((m) => m.name)).toEqual(["qwen2.5:7b", "tinyllama:latest"]);
    expect(models[0]).toMatchObject({
      model: "qwen2.5:7b",
      size: 4_683_087_332,
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
      details: { format: "gguf", family: "qwen2", parameter_size: expect.any(String), quantization_level: "Q4_K_M" },
    });
    expect((await client.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await (await fetch(fake.url)).text()).toBe("Ollama is running");
  });

  it("shows context length and capabilities", async () => {
    const info = await client.show({ model: "qwen2.5:7b" });
    const modelInfo = info.model_info as unknown as Record<string, unknown>;
    expect(modelInfo["general.architecture"]).toBe("qwen2");
    expect(modelInfo["qwen2.context_length"]).toBe(32768);
    expect(info.capabilities).toEqual(["completion", "tools"]);
    expect((await client.show({ model: "tinyllama" })).capabilities).toEqual(["completion"]);
    await expect(client.show({ model: "nope" })).rejects.toMatchObject({ name: "ResponseError", status_code: 404 });
  });

  it("loads a model on its first chat: /api/ps lists it with size_vram and expires_at", async () => {
    expect((await client.ps()).models).toEqual([]);
    await client.chat({ model: "tinyllama", messages: [{ role: "user", content: "hi" }], keep_alive: "10m" });
    const { models } = await client.ps();
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ name: "tinyllama:latest", size_vram: expect.any(Number) });
    const expiresIn = new Date(models[0]?.expires_at ?? 0).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(9 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(10 * 60_000);
  });

  it("streams NDJSON content lines, then a final done line with counts", async () => {
    const chunks = await collect(
      await client.chat({ model: "tinyllama", stream: true, messages: [{ role: "user", content: "Stream me something" }] }),
    );
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.slice(0, -1).every((c) => !c.done && c.message.role === "assistant")).toBe(true);
    expect(chunks.map((c) => c.message.content).join("")).toBe("Echo: Stream me something");
    expect(chunks.at(-1)).toMatchObject({ done: true, done_reason: "stop", prompt_eval_count: expect.any(Number), eval_count: Math.ceil("Echo: Stream me something".length / 4) });
    expect(fake.requests[0]?.headers["content-type"]).toBe("application/json");
  });

  it("answers stream: false with one object, and stops at num_predict with done_reason length", async () => {
    const res = await client.chat({ model: "tinyllama", messages: [{ role: "user", content: "Hello" }] });
    expect(res).toMatchObject({ done: true, done_reason: "stop", message: { role: "assistant", content: "Echo: Hello" } });
    const cut = await client.chat({ model: "tinyllama", messages: [{ role: "user", content: "a longer question" }], options: { num_predict: 2 } });
    expect(cut).toMatchObject({ done_reason: "length", message: { content: "Echo: a " } });
  });

  it("calls an offered tool with object arguments, then answers its result", async () => {
    const first = await client.chat({ model: "qwen2.5:7b", tools: [weatherTool], messages: [{ role: "user", content: "Paris" }] });
    expect(first.message.tool_calls).toEqual([{ function: { name: "get_weather", arguments: { query: "Paris" } } }]);
    expect((fake.requests[0]?.body as { tools?: unknown }).tools).toEqual([weatherTool]);

    const streamed = await collect(
      await client.chat({ model: "qwen2.5:7b", stream: true, tools: [weatherTool], messages: [{ role: "user", content: "Oslo" }] }),
    );
    expect(streamed.flatMap((c) => c.message.tool_calls ?? [])).toEqual([{ function: { name: "get_weather", arguments: { query: "Oslo" } } }]);
    expect(streamed.at(-1)?.done_reason).toBe("stop");

    const second = await client.chat({
      model: "qwen2.5:7b",
      tools: [weatherTool],
      messages: [
        { role: "user", content: "Paris" },
        { role: "assistant", content: "", tool_calls: first.message.tool_calls },
        { role: "tool", content: "sunny", tool_name: "get_weather" },
      ],
    });
    expect(second.message.content).toBe("Tool said: sunny");
  });

  it("refuses tools on a model without the capability (400)", async () => {
    await expect(client.chat({ model: "tinyllama", tools: [weatherTool], messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({
      status_code: 400,
      message: expect.stringContaining("does not support tools"),
    });
  });

  it("answers an unknown model with 404 and Ollama's message", async () => {
    const err: unknown = await client.chat({ model: "mystery", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(statusOf(err)).toBe(404);
    expect((err as Error).message).toBe('model "mystery" not found, try pulling it first');
  });

  it("answers a full queue with 503 and Ollama's message", async () => {
    fake.enqueue({ type: "status", status: 503 });
    const err: unknown = await client.chat({ model: "tinyllama", stream: true, messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(statusOf(err)).toBe(503);
    expect((err as Error).message).toContain("maximum pending requests exceeded");
  });

  it("cuts a stream after N lines: the client sees an error, not a done line", async () => {
    fake.enqueue({ type: "cut", afterEvents: 2 });
    const stream = await client.chat({ model: "tinyllama", stream: true, messages: [{ role: "user", content: "a long enough message" }] });
    const seen: ChatResponse[] = [];
    await expect(
      (async () => {
        for await (const c of stream) seen.push(c);
      })(),
    ).rejects.toThrow();
    expect(seen).toHaveLength(2);
  });

  it("resets the connection without an answer", async () => {
    fake.enqueue({ type: "reset" });
    await expect(client.list()).rejects.toThrow("fetch failed");
  });

  it("hangs until the client gives up, and records that it did", async () => {
    // 0.6.4 gives no signal per request; a fetch that carries one is how a caller bounds a hang.
    const controller = new AbortController();
    const bounded = new Ollama({ host: fake.url, fetch: (input, init) => fetch(input, { ...init, signal: controller.signal }) });
    fake.enqueue({ type: "hang" });
    const pending = bounded.chat({ model: "tinyllama", stream: true, messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    expect(await pending).toMatchObject({ name: "AbortError" });
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.requests[0]?.aborted).toBe(true);
  });
});

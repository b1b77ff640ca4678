/**
 * Drives the Ollama fake with the official `ollama` client: if the client accepts its answers, parses
 * its NDJSON streams and raises its errors for the fake's faults, the fake speaks Ollama's protocol.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
// The test package does not depend on `ollama`; the sidecar does, and this must be the same client.
import { Ollama, type ChatResponse } from "ollama";
import { chatRequests, expectedAnswer, pacedAnswer, pacedTokens, startFakeOllama, type FakeOllama, type FakeOllamaModel } from "../fakes/ollama.js";

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

describe("fake Ollama, paced like a home on a CPU", () => {
  let paced: FakeOllama;
  let home: Ollama;
  const prompt = "Tell me about the house";

  beforeAll(async () => {
    paced = await startFakeOllama({
      seed: 7,
      models: [
        { name: "steady", firstTokenMs: 300, tokensPerSecond: 50, answerTokens: 20 },
        { name: "varied", firstTokenMs: [100, 900], tokensPerSecond: [100, 400], answerTokens: [30, 60] },
        { name: "quick", firstTokenMs: 2_000, tokensPerSecond: 10, answerTokens: 10, loadMs: 3_000, timeScale: 0.1 },
        { name: "echo" },
        { name: "cold", loadMs: 600 },
      ],
    });
    home = new Ollama({ host: paced.url });
  });
  afterAll(() => paced.close());
  beforeEach(() => paced.reset());

  const steady = () => paced.models[0] as FakeOllamaModel;
  const ask = (model: string, content = prompt) => ({ model, messages: [{ role: "user" as const, content }] });

  /** Each chunk with the ms since the call was made. */
  async function timed(model: string, content = prompt): Promise<{ chunk: ChatResponse; at: number }[]> {
    const started = Date.now();
    const out: { chunk: ChatResponse; at: number }[] = [];
    for await (const chunk of await home.chat({ ...ask(model, content), stream: true })) out.push({ chunk, at: Date.now() - started });
    return out;
  }

  it("streams a long answer derived from the prompt, one token a line, on its pace", async () => {
    const lines = await timed("steady");
    const expected = pacedAnswer(prompt, 20);
    expect(expectedAnswer(steady(), prompt)).toBe(expected);
    expect(pacedTokens(prompt, 20)).toHaveLength(20);
    expect(lines).toHaveLength(21);
    expect(lines.map((l) => l.chunk.message.content).join("")).toBe(expected);
    expect(expected.split(" ")).toHaveLength(20);
    expect(lines[0]?.at).toBeGreaterThanOrEqual(290);
    // 19 more tokens at 50/s: ~380 ms after the first.
    const spread = (lines.at(-1)?.at ?? 0) - (lines[0]?.at ?? 0);
    expect(spread).toBeGreaterThanOrEqual(360);
    expect(spread).toBeLessThan(1_000);
    const final = lines.at(-1)?.chunk;
    expect(final).toMatchObject({ done: true, done_reason: "stop", eval_count: 20, prompt_eval_duration: 300_000_000 });
    // eval_duration is what generation took here, so the sidecar's measured speed is the pace's.
    const tps = ((final?.eval_count ?? 0) * 1e9) / (final?.eval_duration ?? 1);
    expect(tps).toBeGreaterThan(35);
    expect(tps).toBeLessThan(60);
  });

  it("gives the same answer to the same prompt and a different one to another", () => {
    expect(pacedAnswer(prompt, 50)).toBe(pacedAnswer(prompt, 50));
    expect(pacedAnswer("another prompt", 50)).not.toBe(pacedAnswer(prompt, 50));
    // A length range picks the length from the prompt, so the answer is still a function of the prompt.
    const lengths = ["a", "b", "c", "d", "e", "f"].map((p) => pacedTokens(p, [30, 60]).length);
    expect(lengths.every((n) => n >= 30 && n <= 60)).toBe(true);
    expect(new Set(lengths).size).toBeGreaterThan(1);
    expect(pacedTokens("a", [30, 60])).toEqual(pacedTokens("a", [30, 60]));
  });

  it("draws a request's first-token time and speed from ranges with the seeded PRNG: same seed, same draws", async () => {
    const firstTokenTimes = async (fake: FakeOllama) => {
      const client = new Ollama({ host: fake.url });
      const out: number[] = [];
      for (const n of [1, 2, 3]) {
        const r = await client.chat(ask("varied", `question ${n}`));
        expect(r.message.content).toBe(expectedAnswer(fake.models[1] as FakeOllamaModel, `question ${n}`));
        out.push(r.prompt_eval_duration / 1e6);
      }
      return out;
    };
    const again = await startFakeOllama({ seed: 7, models: paced.models });
    const other = await startFakeOllama({ seed: 8, models: paced.models });
    try {
      const [a, b, c] = await Promise.all([firstTokenTimes(paced), firstTokenTimes(again), firstTokenTimes(other)]);
      expect(a.every((ms) => ms >= 100 && ms <= 900)).toBe(true);
      expect(new Set(a).size).toBe(3);
      expect(b).toEqual(a);
      expect(c).not.toEqual(a);
    } finally {
      await Promise.all([again.close(), other.close()]);
    }
  });

  it("answers stream: false once the whole answer is made, and stops at num_predict with done_reason length", async () => {
    const started = Date.now();
    const whole = await home.chat(ask("steady"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(650); // 300 ms + 19 tokens at 50/s
    expect(whole).toMatchObject({ done: true, done_reason: "stop", eval_count: 20, message: { content: pacedAnswer(prompt, 20) } });
    const capped = await home.chat({ ...ask("steady"), options: { num_predict: 5 } });
    expect(capped).toMatchObject({ done_reason: "length", eval_count: 5, message: { content: pacedTokens(prompt, 20).slice(0, 5).join("") } });
    expect(expectedAnswer(steady(), prompt, 5)).toBe(capped.message.content);
  });

  it("runs every time faster by timeScale, a slow load on the first request included", async () => {
    const first = await timed("quick"); // 3 s load + 2 s to the first token, at 0.1
    expect(first[0]?.at).toBeGreaterThanOrEqual(480);
    expect(first[0]?.at).toBeLessThan(1_500);
    expect(first.at(-1)?.chunk.load_duration).toBeGreaterThanOrEqual(300_000_000);
    const second = await timed("quick"); // loaded now: 0.2 s to the first token, 10 tokens at 100/s
    expect(second[0]?.at).toBeGreaterThanOrEqual(190);
    expect(second[0]?.at).toBeLessThan(450);
    expect(second.map((l) => l.chunk.message.content).join("")).toBe(pacedAnswer(prompt, 10));
  });

  it("loads a model once for all the chats that wait, and to the end even when they leave", async () => {
    const controller = new AbortController();
    const leaving = new Ollama({ host: paced.url, fetch: (input, init) => fetch(input, { ...init, signal: controller.signal }) });
    const left = leaving.chat(ask("cold")).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    controller.abort(); // the load goes on without it
    expect(await left).toMatchObject({ name: "AbortError" });
    const started = Date.now();
    const waited = await home.chat(ask("cold")); // joins the load under way: ~400 ms, not 600
    expect(Date.now() - started).toBeLessThan(550);
    expect(waited.load_duration).toBeLessThan(550_000_000);

    paced.reset();
    const controller2 = new AbortController();
    const gone = new Ollama({ host: paced.url, fetch: (input, init) => fetch(input, { ...init, signal: controller2.signal }) });
    const pending = gone.chat(ask("cold")).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    controller2.abort();
    await pending;
    expect(paced.loaded.has("cold:latest")).toBe(false);
    await new Promise((r) => setTimeout(r, 600));
    expect(paced.loaded.has("cold:latest")).toBe(true);
    expect((await home.ps()).models.map((m) => m.name)).toEqual(["cold:latest"]);
  });

  it("stalls after N lines: the connection stays open and nothing more comes, until the client leaves", async () => {
    const controller = new AbortController();
    const bounded = new Ollama({ host: paced.url, fetch: (input, init) => fetch(input, { ...init, signal: controller.signal }) });
    paced.enqueueChat({ type: "stall", afterEvents: 3 });
    const seen: ChatResponse[] = [];
    const reading = (async () => {
      for await (const c of await bounded.chat({ ...ask("steady"), stream: true })) seen.push(c);
    })().catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 1_200)); // the whole answer would have taken ~700 ms
    expect(seen).toHaveLength(3);
    expect(chatRequests(paced)[0]?.aborted).toBe(false);
    controller.abort();
    expect(await reading).toMatchObject({ name: "AbortError" });
    await new Promise((r) => setTimeout(r, 50));
    expect(chatRequests(paced)[0]?.aborted).toBe(true);
  });

  it("stalls before the first token with afterEvents 0: not even the headers come", async () => {
    const controller = new AbortController();
    const bounded = new Ollama({ host: paced.url, fetch: (input, init) => fetch(input, { ...init, signal: controller.signal }) });
    paced.enqueueChat({ type: "stall", afterEvents: 0 });
    let answered = false;
    const pending = bounded.chat({ ...ask("echo"), stream: true }).then(
      () => (answered = true),
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(answered).toBe(false);
    controller.abort();
    expect(await pending).toMatchObject({ name: "AbortError" });
    // It got past the load: the model counts as loaded, unlike after a `hang`.
    expect(paced.loaded.has("echo:latest")).toBe(true);
  });

  it("resumes a stall after resumeAfterMs, and the answer is still whole", async () => {
    paced.enqueueChat({ type: "stall", afterEvents: 2, resumeAfterMs: 600 });
    const lines = await timed("steady");
    expect(lines.map((l) => l.chunk.message.content).join("")).toBe(pacedAnswer(prompt, 20));
    const gap = (lines[2]?.at ?? 0) - (lines[1]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(580);
    expect(lines.at(-1)?.chunk.done_reason).toBe("stop");
  });

  it("paces one request as scripted, even on a model that answers at once", async () => {
    paced.enqueueChat({ type: "pace", firstTokenMs: 400, tokensPerSecond: 20 });
    const lines = await timed("echo", "slow echo");
    expect(lines.map((l) => l.chunk.message.content).join("")).toBe("Echo: slow echo");
    expect(lines[0]?.at).toBeGreaterThanOrEqual(390);
    const after = await timed("echo", "fast again");
    expect(after[0]?.at).toBeLessThan(200);
  });

  it("cuts a paced stream after N lines, and answers 503 when its queue is full", async () => {
    paced.enqueueChat({ type: "cut", afterEvents: 4 }, { type: "status", status: 503 });
    const seen: ChatResponse[] = [];
    await expect(
      (async () => {
        for await (const c of await home.chat({ ...ask("steady"), stream: true })) seen.push(c);
      })(),
    ).rejects.toThrow();
    expect(seen).toHaveLength(4);
    const err: unknown = await home.chat(ask("steady")).catch((e: unknown) => e);
    expect(statusOf(err)).toBe(503);
    expect((err as Error).message).toContain("maximum pending requests exceeded");
  });
});

/**
 * The Ollama backend against the protocol-faithful fake: discovery, streaming, tool calls, and every
 * failure mapped to the tunnel error code the Worker acts on.
 */
import type { ChatRequest } from "@hearth/shared";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createOllamaBackend } from "../../sidecar/src/backends/ollama/index.js";
import { BackendError, type Backend, type GenerationEvent } from "../../sidecar/src/backends/types.js";
import { createLogger, silentLogger } from "../../sidecar/src/log.js";
import { startFakeOllama, type FakeOllama } from "../fakes/ollama.js";

let fake: FakeOllama;
let backend: Backend;

beforeAll(async () => {
  fake = await startFakeOllama({
    models: [
      { name: "qwen2.5:7b", family: "qwen2", contextLength: 32768, tools: true, size: 4_683_087_332 },
      { name: "tinyllama:latest", contextLength: 2048, size: 637_700_138 },
      { name: "slow:latest", chunkDelayMs: 40 },
      { name: "big:latest", loadMs: 300 },
    ],
  });
});
afterAll(() => fake.close());
afterEach(async () => {
  await backend.dispose();
  fake.reset();
});

const make = (extra: Partial<Parameters<typeof createOllamaBackend>[0]> = {}) =>
  (backend = createOllamaBackend({ host: fake.url, log: silentLogger, refreshMs: 0, ...extra }));

const ask = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: "local/x", messages: [{ role: "user", content }], ...extra });

async function run(b: Backend, model: string, req: ChatRequest, signal = new AbortController().signal): Promise<GenerationEvent[]> {
  const out: GenerationEvent[] = [];
  for await (const e of b.generate(model, req, { signal })) out.push(e);
  return out;
}
async function failure(p: Promise<unknown>): Promise<BackendError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof BackendError)) throw new Error(`expected a BackendError, got ${String(err)}`);
  return err;
}
const textOf = (events: GenerationEvent[]) => events.map((e) => (e.type === "text" ? e.text : "")).join("");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Ollama backend: discovery", () => {
  it("combines tags, ps and show into LocalModels, loaded after a chat", async () => {
    const b = make();
    const models = await b.models();
    expect(models.map((m) => m.id)).toEqual(["qwen2.5:7b", "tinyllama:latest", "slow:latest", "big:latest"]);
    expect(models[0]).toEqual({
      id: "qwen2.5:7b",
      backend: "ollama",
      contextLength: 32768,
      sizeBytes: 4_683_087_332,
      loaded: false,
      tools: true,
      tokensPerSecond: 0,
    });
    expect(models[1]).toMatchObject({ contextLength: 2048, tools: false });
    await run(b, "tinyllama:latest", ask("hi"));
    const after = await b.models();
    expect(after.find((m) => m.id === "tinyllama:latest")).toMatchObject({ loaded: true, tokensPerSecond: expect.any(Number) });
    expect(after.find((m) => m.id === "tinyllama:latest")?.tokensPerSecond).toBeGreaterThan(0);
  });

  it("re-reads Ollama at most every refreshMs and shows each model once", async () => {
    const b = make({ refreshMs: 60_000 });
    await b.models();
    await b.models();
    const paths = fake.requests.map((r) => r.path);
    expect(paths.filter((p) => p === "/api/tags")).toHaveLength(1);
    expect(paths.filter((p) => p === "/api/show")).toHaveLength(4);
  });

  it("reports the num_ctx it asks for, capped at the trained length, and sends it", async () => {
    const b = make({ numCtx: 8192, keepAlive: "30m" });
    const models = await b.models();
    expect(models.find((m) => m.id === "qwen2.5:7b")?.contextLength).toBe(8192);
    expect(models.find((m) => m.id === "tinyllama:latest")?.contextLength).toBe(2048);
    await run(b, "tinyllama:latest", ask("hi", { temperature: 0.2 }));
    expect(fake.requests.at(-1)?.body).toMatchObject({ stream: true, keep_alive: "30m", options: { num_ctx: 8192, temperature: 0.2 } });
  });
});

describe("Ollama backend: generation", () => {
  it("streams text events in several pieces, then end with usage", async () => {
    const events = await run(make(), "tinyllama:latest", ask("Stream me something"));
    expect(events.filter((e) => e.type === "text").length).toBeGreaterThan(2);
    expect(textOf(events)).toBe("Echo: Stream me something");
    expect(events.at(-1)).toEqual({ type: "end", finishReason: "stop", usage: { prompt_tokens: expect.any(Number), completion_tokens: 7 } });
  });

  it("ends with length when max_tokens stops it", async () => {
    const events = await run(make(), "tinyllama:latest", ask("a longer question", { max_tokens: 2 }));
    expect(textOf(events)).toBe("Echo: a ");
    expect(events.at(-1)).toMatchObject({ finishReason: "length" });
  });

  it("passes tools through and returns the call as a tool_call event with JSON string arguments", async () => {
    const tools = [{ type: "function" as const, function: { name: "get_weather", parameters: { type: "object", properties: { query: { type: "string" } } } } }];
    const events = await run(make(), "qwen2.5:7b", ask("Paris", { tools }));
    expect((fake.requests.at(-1)?.body as { tools?: unknown }).tools).toEqual(tools);
    expect(events).toEqual([
      { type: "tool_call", index: 0, id: expect.stringMatching(/^call_[0-9a-f]{24}$/), name: "get_weather", arguments: '{"query":"Paris"}' },
      { type: "end", finishReason: "tool_calls", usage: expect.any(Object) },
    ]);
    const call = events[0];
    if (call?.type !== "tool_call") throw new Error("no tool call");
    const followUp = await run(backend, "qwen2.5:7b", {
      model: "local/x",
      tools,
      messages: [
        { role: "user", content: "Paris" },
        { role: "assistant", content: null, tool_calls: [{ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }] },
        { role: "tool", tool_call_id: call.id, content: "sunny" },
      ],
    });
    expect(textOf(followUp)).toBe("Tool said: sunny");
    expect((fake.requests.at(-1)?.body as { messages: unknown[] }).messages[2]).toEqual({ role: "tool", content: "sunny", tool_name: "get_weather" });
  });
});

describe("Ollama backend: a forced tool_choice, asked for through format", () => {
  const weather = { type: "function" as const, function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } };
  const clock = { type: "function" as const, function: { name: "get_time", parameters: { type: "object", properties: { zone: { type: "string", enum: ["UTC", "CET"] } }, required: ["zone"] } } };

  it("a named function (Anthropic's tool_choice tool): Ollama gets its schema as format, the Worker a proper call", async () => {
    const events = await run(make(), "qwen2.5:7b", ask("Oslo", { tools: [weather, clock], tool_choice: { type: "function", function: { name: "get_time" } } }));
    const sent = fake.requests.at(-1)?.body as { tools?: unknown; format?: unknown; messages: { role: string }[] };
    expect(sent.tools).toBeUndefined();
    expect(sent.format).toEqual(clock.function.parameters);
    expect(sent.messages[0]?.role).toBe("system");
    expect(events.filter((e) => e.type !== "progress")).toEqual([
      { type: "tool_call", index: 0, id: expect.stringMatching(/^call_/), name: "get_time", arguments: '{"zone":"UTC"}' },
      { type: "end", finishReason: "tool_calls", usage: expect.any(Object) },
    ]);
  });

  it("required (Anthropic's any): one of the tools, by name", async () => {
    const events = await run(make(), "qwen2.5:7b", ask("Oslo", { tools: [weather, clock], tool_choice: "required" }));
    expect(events.find((e) => e.type === "tool_call")).toMatchObject({ name: "get_weather", arguments: '{"city":"Oslo"}' });
  });
});

describe("Ollama backend: failures", () => {
  it("maps a full queue (503) to overloaded", async () => {
    fake.enqueue({ type: "status", status: 503 });
    const err = await failure(run(make(), "tinyllama:latest", ask("x")));
    expect(err.code).toBe("overloaded");
    expect(err.message).toContain("maximum pending requests exceeded");
  });

  it("maps an unknown model to model_not_found, and tools on a model without them to unsupported", async () => {
    expect((await failure(run(make(), "mystery:latest", ask("x")))).code).toBe("model_not_found");
    const tools = [{ type: "function" as const, function: { name: "f" } }];
    expect((await failure(run(backend, "tinyllama:latest", ask("x", { tools })))).code).toBe("unsupported");
  });

  it("maps a stream cut before done to backend_error, after the text it did get", async () => {
    fake.enqueue({ type: "cut", afterEvents: 2 });
    const seen: GenerationEvent[] = [];
    const err = await failure(
      (async () => {
        for await (const e of make().generate("tinyllama:latest", ask("a long enough message"), { signal: new AbortController().signal })) seen.push(e);
      })(),
    );
    expect(err.code).toBe("backend_error");
    expect(seen.map((e) => e.type)).toEqual(["text", "text"]);
  });

  it("aborting mid-stream stops the HTTP request promptly and throws cancelled", async () => {
    const controller = new AbortController();
    const seen: GenerationEvent[] = [];
    const started = Date.now();
    const err = await failure(
      (async () => {
        for await (const e of make().generate("slow:latest", ask("a fairly long message to stream slowly"), { signal: controller.signal })) {
          seen.push(e);
          if (seen.length === 2) controller.abort();
        }
      })(),
    );
    expect(err.code).toBe("cancelled");
    expect(Date.now() - started).toBeLessThan(500);
    await sleep(30);
    expect(fake.requests.at(-1)?.aborted).toBe(true);
  });

  it("aborting while Ollama has not answered (a hang, a model load) ends the request too", async () => {
    fake.enqueue({ type: "hang" });
    const controller = new AbortController();
    const pending = failure(run(make(), "tinyllama:latest", ask("x"), controller.signal));
    await sleep(50);
    controller.abort();
    expect((await pending).code).toBe("cancelled");
    await sleep(30);
    expect(fake.requests.at(-1)?.aborted).toBe(true);
  });

  it("breaking out of the loop early aborts the request", async () => {
    for await (const e of make().generate("slow:latest", ask("a fairly long message"), { signal: new AbortController().signal })) {
      if (e.type === "text") break;
    }
    await sleep(30);
    expect(fake.requests.at(-1)?.aborted).toBe(true);
  });

  it("dispose() aborts generations in flight with draining, and refuses new ones", async () => {
    const b = make();
    const pending = failure(run(b, "slow:latest", ask("a fairly long message")));
    await sleep(60);
    await b.dispose();
    expect((await pending).code).toBe("draining");
    expect((await failure(run(b, "tinyllama:latest", ask("x")))).code).toBe("draining");
  });

  it("reports a model as loading while its first chat waits for the load", async () => {
    const b = make();
    await b.models();
    const pending = run(b, "big:latest", ask("x"));
    await sleep(100);
    expect(b.loading()).toEqual(["big:latest"]);
    await pending;
    expect(b.loading()).toEqual([]);
    expect((await b.models()).find((m) => m.id === "big:latest")?.loaded).toBe(true);
  });
});

describe("Ollama backend: Ollama down", () => {
  it("offers no models (warning once) and fails generations with backend_error naming the host", async () => {
    const gone = await startFakeOllama();
    const url = gone.url;
    await gone.close();
    const lines: string[] = [];
    const b = (backend = createOllamaBackend({ host: url, refreshMs: 0, log: createLogger("warn", (l) => lines.push(l)) }));
    expect(await b.models()).toEqual([]);
    expect(await b.models()).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(url);
    const err = await failure(run(b, "tinyllama:latest", ask("x")));
    expect(err.code).toBe("backend_error");
    expect(err.message).toContain(`not reachable at ${url}`);
  });
});

/**
 * The llama.cpp backend against real node-llama-cpp and generated tiny GGUF models (CPU, 1 thread).
 * The models' weights are random, so the text is nonsense: these tests assert the machinery
 * (discovery, streaming, sequences, cancellation, memory budget, errors), never the words.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatRequest } from "@hearth/shared";
import { createLlamaCppBackend, type LlamaCppBackendOptions } from "../../sidecar/src/backends/llama-cpp/index.js";
import type { Backend, GenerationEvent } from "../../sidecar/src/backends/types.js";
import { BackendError } from "../../sidecar/src/backends/types.js";
import { TOOLS_CHAT_TEMPLATE, ensureTinyModel, writeTinyGguf } from "../../scripts/lib/tiny-gguf.js";

let dir: string;
let backend: Backend;
const backends: Backend[] = [];

async function open(options: Partial<LlamaCppBackendOptions> & Pick<LlamaCppBackendOptions, "paths">): Promise<Backend> {
  const b = await createLlamaCppBackend({ gpu: false, threads: 1, parallel: 2, ...options });
  backends.push(b);
  return b;
}

const request = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: "local/hearth-tiny",
  messages: [{ role: "user", content: "Hello" }],
  temperature: 0,
  ...extra,
});
const never = () => new AbortController().signal;

async function collect(events: AsyncIterable<GenerationEvent>): Promise<GenerationEvent[]> {
  const out: GenerationEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

async function failure(events: AsyncIterable<GenerationEvent>): Promise<BackendError> {
  try {
    await collect(events);
  } catch (err) {
    if (err instanceof BackendError) return err;
    throw err;
  }
  throw new Error("expected the generation to fail");
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hearth-llama-"));
  await ensureTinyModel(dir);
  await writeTinyGguf(join(dir, "tiny-tools.gguf"), { chatTemplate: TOOLS_CHAT_TEMPLATE, contextLength: 1024 });
  await mkdir(join(dir, "nested"));
  await writeTinyGguf(join(dir, "nested", "tiny-nested.gguf"), { seed: 2 });
  await writeFile(join(dir, "README.txt"), "not a model");
  backend = await open({ paths: [dir] });
}, 30_000);

afterAll(async () => {
  await Promise.all(backends.map((b) => b.dispose()));
  await rm(dir, { recursive: true, force: true });
});

describe("discovery", () => {
  it("lists GGUF files (one level deep) from metadata, without loading them", async () => {
    const models = await backend.models();
    expect(models.map((m) => m.id).sort()).toEqual(["hearth-tiny", "tiny-nested", "tiny-tools"]);
    const tiny = models.find((m) => m.id === "hearth-tiny");
    expect(tiny).toEqual({ id: "hearth-tiny", backend: "llama-cpp", contextLength: 256, sizeBytes: expect.any(Number), loaded: false, tools: false, tokensPerSecond: 0 });
    expect(tiny?.sizeBytes).toBeGreaterThan(400_000);
    expect(models.find((m) => m.id === "tiny-tools")).toMatchObject({ tools: true, contextLength: 1024, loaded: false });
    expect(backend.loading()).toEqual([]);
  });
});

describe("generate", () => {
  it("streams text, then ends with usage and finishReason length at max_tokens", async () => {
    const events = await collect(backend.generate("hearth-tiny", request({ max_tokens: 8 }), { signal: never() }));
    const end = events.at(-1);
    expect(end).toEqual({ type: "end", finishReason: "length", usage: { prompt_tokens: expect.any(Number), completion_tokens: 8 } });
    expect(end?.type === "end" && end.usage.prompt_tokens).toBeGreaterThan(10);
    expect(events.slice(0, -1).every((e) => e.type === "text")).toBe(true);
    expect(events.length).toBeGreaterThan(1);
    const [tiny] = (await backend.models()).filter((m) => m.id === "hearth-tiny");
    expect(tiny).toMatchObject({ loaded: true });
    expect(tiny?.tokensPerSecond).toBeGreaterThan(0);
  });

  it("runs two requests on one model in parallel, each on its own sequence", async () => {
    const [a, b] = await Promise.all([
      collect(backend.generate("hearth-tiny", request({ max_tokens: 20 }), { signal: never() })),
      collect(backend.generate("hearth-tiny", request({ max_tokens: 30, messages: [{ role: "user", content: "Other" }] }), { signal: never() })),
    ]);
    expect(a.at(-1)).toMatchObject({ type: "end", usage: { completion_tokens: 20 } });
    expect(b.at(-1)).toMatchObject({ type: "end", usage: { completion_tokens: 30 } });
  });

  it("is deterministic at temperature 0: a returned sequence keeps no state", async () => {
    const text = async () =>
      (await collect(backend.generate("hearth-tiny", request({ max_tokens: 12 }), { signal: never() })))
        .map((e) => (e.type === "text" ? e.text : ""))
        .join("");
    expect(await text()).toBe(await text());
  });

  it("stops within a token of an abort and throws cancelled", async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    let textsAfterAbort = 0;
    const err = await failure(
      (async function* () {
        for await (const e of backend.generate("hearth-tiny", request({ max_tokens: 1000 }), { signal: controller.signal })) {
          if (abortedAt > 0 && e.type === "text") textsAfterAbort++;
          if (abortedAt === 0 && e.type === "text") {
            abortedAt = performance.now();
            controller.abort();
          }
          yield e;
        }
      })(),
    );
    expect(err.code).toBe("cancelled");
    expect(performance.now() - abortedAt).toBeLessThan(100);
    expect(textsAfterAbort).toBeLessThanOrEqual(1);
  });

  it("stops the model when the consumer stops reading, and frees the sequence", async () => {
    for await (const e of backend.generate("hearth-tiny", request({ max_tokens: 1000 }), { signal: never() })) {
      if (e.type === "text") break;
    }
    const both = await Promise.all([1, 2].map(() => collect(backend.generate("hearth-tiny", request({ max_tokens: 4 }), { signal: never() }))));
    expect(both.map((events) => events.at(-1)?.type)).toEqual(["end", "end"]);
  });

  it("refuses an unknown model with model_not_found", async () => {
    expect((await failure(backend.generate("no-such-model", request(), { signal: never() }))).code).toBe("model_not_found");
  });

  it("refuses a prompt longer than the context with unsupported", async () => {
    const long = request({ messages: [{ role: "user", content: "x".repeat(400) }] });
    const err = await failure(backend.generate("hearth-tiny", long, { signal: never() }));
    expect(err.code).toBe("unsupported");
    expect(err.message).toMatch(/context of 256/);
  });

  it("refuses tools on a model whose template has no tool syntax", async () => {
    const tools = [{ type: "function" as const, function: { name: "now", parameters: { type: "object", properties: {} } } }];
    expect((await failure(backend.generate("hearth-tiny", request({ tools }), { signal: never() }))).code).toBe("unsupported");
  });

  it("offers tools to a model whose template has them, and still ends cleanly", async () => {
    const tools = [{ type: "function" as const, function: { name: "now", description: "Current time", parameters: { type: "object", properties: {} } } }];
    const events = await collect(backend.generate("tiny-tools", request({ tools, max_tokens: 16 }), { signal: never() }));
    const end = events.at(-1);
    expect(end?.type).toBe("end");
    // The function's documentation is part of the prompt.
    expect(end?.type === "end" && end.usage.prompt_tokens).toBeGreaterThan(100);
  });

  it("makes a forced tool_choice a call the grammar held to the tool's schema, even from random weights", async () => {
    const parameters = { type: "object", properties: { unit: { type: "string", enum: ["celsius", "kelvin"] } } };
    const tools = [{ type: "function" as const, function: { name: "temperature", parameters } }];
    const forced = { type: "function" as const, function: { name: "temperature" } };
    const events = await collect(backend.generate("tiny-tools", request({ tools, tool_choice: forced, max_tokens: 24, seed: 7 }), { signal: never() }));
    const call = events.find((e) => e.type === "tool_call");
    expect(call).toMatchObject({ type: "tool_call", index: 0, name: "temperature" });
    expect(["celsius", "kelvin"]).toContain((JSON.parse(call?.type === "tool_call" ? call.arguments : "{}") as { unit?: string }).unit);
    expect(events.at(-1)).toMatchObject({ type: "end", finishReason: "tool_calls" });
  });

  it("constrains output to JSON when response_format asks for it", async () => {
    const events = await collect(backend.generate("hearth-tiny", request({ response_format: { type: "json_object" }, max_tokens: 12 }), { signal: never() }));
    const text = events.map((e) => (e.type === "text" ? e.text : "")).join("");
    expect(text.trimStart().startsWith("{")).toBe(true);
  });
});

describe("memory budget", () => {
  it("unloads the least recently used idle model to load another that would not fit beside it", async () => {
    const lru = await mkdtemp(join(tmpdir(), "hearth-lru-"));
    try {
      await writeTinyGguf(join(lru, "a.gguf"));
      await writeTinyGguf(join(lru, "b.gguf"), { seed: 3 });
      // One tiny model is ~0.5 MB of weights plus ~1.6 MB of context for two sequences.
      const b = await open({ paths: [lru], memoryBudgetBytes: 3 * 1024 * 1024 });
      await collect(b.generate("a", request({ max_tokens: 2 }), { signal: never() }));
      expect((await b.models()).map((m) => [m.id, m.loaded])).toEqual([["a", true], ["b", false]]);
      await collect(b.generate("b", request({ max_tokens: 2 }), { signal: never() }));
      expect((await b.models()).map((m) => [m.id, m.loaded])).toEqual([["a", false], ["b", true]]);
    } finally {
      await rm(lru, { recursive: true, force: true });
    }
  });

  it("refuses a model that alone exceeds the budget as unsupported", async () => {
    const b = await open({ paths: [dir], memoryBudgetBytes: 1024 * 1024 });
    const err = await failure(b.generate("hearth-tiny", request({ max_tokens: 2 }), { signal: never() }));
    expect(err.code).toBe("unsupported");
    expect(err.message).toMatch(/memory budget/);
  });

  it("shares one load between concurrent first requests and reports it as loading", async () => {
    const completed: string[] = [];
    const b = await open({ paths: [dir], onProgress: (id, fraction) => fraction === 1 && completed.push(id) });
    const first = collect(b.generate("tiny-nested", request({ max_tokens: 2 }), { signal: never() }));
    const second = collect(b.generate("tiny-nested", request({ max_tokens: 2 }), { signal: never() }));
    await expect.poll(() => b.loading(), { interval: 1, timeout: 5_000 }).toEqual(["tiny-nested"]);
    await Promise.all([first, second]);
    expect(b.loading()).toEqual([]);
    expect(completed).toEqual(["tiny-nested"]);
  });
});

describe("dispose", () => {
  it("is idempotent, and a request afterwards is refused as draining", async () => {
    const b = await open({ paths: [dir] });
    await collect(b.generate("hearth-tiny", request({ max_tokens: 2 }), { signal: never() }));
    await Promise.all([b.dispose(), b.dispose()]);
    await b.dispose();
    expect((await failure(b.generate("hearth-tiny", request(), { signal: never() }))).code).toBe("draining");
  });
});

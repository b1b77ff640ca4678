/**
 * The llama.cpp backend's embeddings against real node-llama-cpp and generated tiny GGUFs (CPU, 1
 * thread): an embedding model (pooling_type mean in its metadata) and a chat model. The weights are
 * random, so the vectors mean nothing: these tests assert the machinery — discovery, vector length,
 * determinism, token counts, refusals, the memory budget — never the values.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLlamaCppBackend, type LlamaCppBackendOptions } from "../../sidecar/src/backends/llama-cpp/index.js";
import { BackendError, type Backend, type EmbedBatch } from "../../sidecar/src/backends/types.js";
import { ensureTinyModel, writeTinyGguf } from "../../scripts/lib/tiny-gguf.js";

let dir: string;
let backend: Backend;
const backends: Backend[] = [];

async function open(options: Partial<LlamaCppBackendOptions> & Pick<LlamaCppBackendOptions, "paths">): Promise<Backend> {
  const b = await createLlamaCppBackend({ gpu: false, threads: 1, parallel: 2, ...options });
  backends.push(b);
  return b;
}

const never = () => new AbortController().signal;

async function embedAll(b: Backend, model: string, inputs: string[], signal = never()): Promise<EmbedBatch[]> {
  if (!b.embed) throw new Error("the backend cannot embed");
  const out: EmbedBatch[] = [];
  for await (const batch of b.embed(model, inputs, { signal })) out.push(batch);
  return out;
}

async function failure(p: Promise<unknown>): Promise<BackendError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(BackendError);
  return err as BackendError;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hearth-llama-embed-"));
  await ensureTinyModel(dir);
  await writeTinyGguf(join(dir, "tiny-embed.gguf"), { poolingType: 1, seed: 4 });
  backend = await open({ paths: [dir] });
}, 30_000);

afterAll(async () => {
  await Promise.all(backends.map((b) => b.dispose()));
  await rm(dir, { recursive: true, force: true });
});

describe("embeddings with llama.cpp", () => {
  it("lists a GGUF with a pooling type as an embedding model that does not chat, with its vector length", async () => {
    const models = await backend.models();
    expect(models.find((m) => m.id === "tiny-embed")).toMatchObject({ embeddings: true, chat: false, embeddingLength: 64, contextLength: 256, loaded: false });
    expect(models.find((m) => m.id === "hearth-tiny")).not.toHaveProperty("embeddings");
  });

  it("embeds each input in order: 64 values, the same for the same text, token counts as usage", async () => {
    const batches = await embedAll(backend, "tiny-embed", ["Hello", "world", "Hello"]);
    const vectors = batches.flatMap((b) => b.vectors.map((v) => Array.from(v)));
    expect(vectors).toHaveLength(3);
    expect(vectors[0]).toHaveLength(64);
    expect(vectors[2]).toEqual(vectors[0]);
    expect(vectors[1]).not.toEqual(vectors[0]);
    // One byte a token, plus the begin and end tokens.
    expect(batches.map((b) => b.promptTokens)).toEqual([7, 7, 7]);
    expect((await backend.models()).find((m) => m.id === "tiny-embed")?.loaded).toBe(true);
  });

  it("embeds with a chat model too (the sidecar's embeddings tag offers it), loaded apart from its chat context", async () => {
    const [first] = await embedAll(backend, "hearth-tiny", ["Hello"]);
    expect(first?.vectors[0]).toHaveLength(64);
  });

  it("refuses an input longer than the model's context as invalid_request naming it", async () => {
    const err = await failure(embedAll(backend, "tiny-embed", ["short", "x".repeat(300)]));
    expect(err.code).toBe("invalid_request");
    expect(err.message).toMatch(/^input\[1\] is 302 tokens; 'tiny-embed' takes fewer than 256$/);
  });

  it("refuses to chat with an embedding model, and an unknown model", async () => {
    const chat = backend.generate("tiny-embed", { model: "x", messages: [{ role: "user", content: "hi" }] }, { signal: never() });
    const err = await failure((async () => {
      for await (const _ of chat) void _;
    })());
    expect(err.code).toBe("unsupported");
    expect((await failure(embedAll(backend, "nope", ["x"]))).code).toBe("model_not_found");
  });

  it("stops between inputs when cancelled", async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await failure(embedAll(backend, "tiny-embed", ["a", "b"], controller.signal))).code).toBe("cancelled");
  });

  it("counts an embedder against the memory budget: an idle one is unloaded for a model that would not fit beside it", async () => {
    const lru = await mkdtemp(join(tmpdir(), "hearth-embed-lru-"));
    try {
      await writeTinyGguf(join(lru, "e.gguf"), { poolingType: 1 });
      await writeTinyGguf(join(lru, "c.gguf"), { seed: 3 });
      const b = await open({ paths: [lru], memoryBudgetBytes: 3 * 1024 * 1024 });
      await embedAll(b, "e", ["x"]);
      expect((await b.models()).map((m) => [m.id, m.loaded])).toEqual([["c", false], ["e", true]]);
      for await (const _ of b.generate("c", { model: "c", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }, { signal: never() })) void _;
      expect((await b.models()).map((m) => [m.id, m.loaded])).toEqual([["c", true], ["e", false]]);
    } finally {
      await rm(lru, { recursive: true, force: true });
    }
  });
});

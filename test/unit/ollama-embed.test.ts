/**
 * The Ollama backend's embeddings against the protocol-faithful fake: discovery of embedding models,
 * /api/embed in batches (truncate: false), and every failure mapped to the tunnel error code the
 * Worker acts on.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EMBED_BATCH, createOllamaBackend } from "../../sidecar/src/backends/ollama/index.js";
import { BackendError, type Backend, type EmbedBatch } from "../../sidecar/src/backends/types.js";
import { silentLogger } from "../../sidecar/src/log.js";
import { startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { fakeVector } from "../fakes/vectors.js";

const NOMIC = "nomic-embed-text:latest";
let fake: FakeOllama;
let backend: Backend;

beforeAll(async () => {
  fake = await startFakeOllama({
    models: [
      { name: "nomic-embed-text", family: "nomic-bert", embedding: true, contextLength: 64, size: 274_302_450 },
      { name: "llama3.2", contextLength: 8192, tools: true },
      { name: "slow-embed", embedding: true, loadMs: 2_000 },
    ],
  });
});
afterAll(() => fake.close());
afterEach(async () => {
  await backend.dispose();
  fake.reset();
});

const make = () => (backend = createOllamaBackend({ host: fake.url, log: silentLogger, refreshMs: 0, keepAlive: "10m" }));

async function embedAll(b: Backend, model: string, inputs: string[], signal = new AbortController().signal): Promise<EmbedBatch[]> {
  const out: EmbedBatch[] = [];
  for await (const batch of b.embed?.(model, inputs, { signal }) ?? []) out.push(batch);
  return out;
}

async function failure(p: Promise<unknown>): Promise<BackendError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(BackendError);
  return err as BackendError;
}

const embedCalls = () => fake.requests.filter((r) => r.path === "/api/embed");

describe("Ollama embeddings", () => {
  it("lists embedding models (chat: false, their vector length) beside chat models", async () => {
    const models = await make().models();
    expect(models.find((m) => m.id === NOMIC)).toEqual({
      id: NOMIC,
      backend: "ollama",
      contextLength: 64,
      sizeBytes: 274_302_450,
      loaded: false,
      tools: false,
      tokensPerSecond: 0,
      embeddings: true,
      embeddingLength: 768,
      chat: false,
    });
    expect(models.find((m) => m.id === "llama3.2:latest")).not.toHaveProperty("embeddings");
  });

  it("embeds in batches of EMBED_BATCH with truncate: false and keep_alive, vectors in order", async () => {
    const inputs = Array.from({ length: EMBED_BATCH * 2 + 5 }, (_, i) => `text ${i}`);
    const batches = await embedAll(make(), NOMIC, inputs);
    expect(batches.map((b) => b.vectors.length)).toEqual([EMBED_BATCH, EMBED_BATCH, 5]);
    expect(Array.from(batches[2]?.vectors[4] ?? [])).toEqual(fakeVector(NOMIC, `text ${inputs.length - 1}`, 768));
    expect(batches[0]?.promptTokens).toBe(EMBED_BATCH * 2);
    expect(embedCalls().map((r) => (r.body as { input: string[]; truncate: boolean; keep_alive: string }).input.length)).toEqual([EMBED_BATCH, EMBED_BATCH, 5]);
    expect(embedCalls()[0]?.body).toMatchObject({ model: NOMIC, truncate: false, keep_alive: "10m" });
  });

  it("maps Ollama's refusals: too long → invalid_request, a chat model → unsupported, unknown → model_not_found, queue full → overloaded", async () => {
    make();
    expect((await failure(embedAll(backend, NOMIC, ["x".repeat(400)]))).code).toBe("invalid_request");
    expect((await failure(embedAll(backend, "llama3.2:latest", ["x"]))).code).toBe("unsupported");
    expect((await failure(embedAll(backend, "nope:latest", ["x"]))).code).toBe("model_not_found");
    fake.enqueueEmbed({ type: "status", status: 503 });
    expect((await failure(embedAll(backend, NOMIC, ["x"]))).code).toBe("overloaded");
  });

  it("reports a model that loads for an embedding as loading, and a cancel ends the wait at once", async () => {
    make();
    const controller = new AbortController();
    const running = failure(embedAll(backend, "slow-embed:latest", ["x"], controller.signal));
    await expect.poll(() => backend.loading(), { interval: 5, timeout: 2_000 }).toEqual(["slow-embed:latest"]);
    const t0 = Date.now();
    controller.abort();
    expect((await running).code).toBe("cancelled");
    expect(Date.now() - t0).toBeLessThan(500);
    expect(backend.loading()).toEqual([]);
  });
});

/**
 * The fakes' embedding endpoints, driven by the official clients: OpenAI's SDK (`embeddings.create`,
 * whose default asks for base64 and decodes it) against the fake OpenAI's /v1/embeddings, and the
 * `ollama` client (`embed`) against the fake Ollama's /api/embed. If the clients accept the answers
 * and raise their errors, the fakes speak the protocols.
 */
import { Ollama } from "ollama";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeServer } from "../fakes/harness.js";
import { startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { cutVector, fakeVector, fromBase64Vector } from "../fakes/vectors.js";

let openaiFake: FakeServer;
let ollamaFake: FakeOllama;
let openai: OpenAI;
let ollama: Ollama;

beforeAll(async () => {
  [openaiFake, ollamaFake] = await Promise.all([
    startFakeOpenAI(),
    startFakeOllama({ models: [{ name: "nomic-embed-text", family: "nomic-bert", embedding: true, contextLength: 16 }, { name: "llama3.2" }] }),
  ]);
  openai = new OpenAI({ apiKey: "test-openai-key", baseURL: `${openaiFake.url}/v1`, maxRetries: 0 });
  ollama = new Ollama({ host: ollamaFake.url });
});
afterAll(async () => {
  await Promise.all([openaiFake.close(), ollamaFake.close()]);
});

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

describe("fake OpenAI /v1/embeddings, through the official SDK", () => {
  it("answers a batch with deterministic unit vectors, in order, with usage (the SDK's default base64, decoded)", async () => {
    const r = await openai.embeddings.create({ model: "text-embedding-3-small", input: ["hello", "world"] });
    expect(r.object).toBe("list");
    expect(r.model).toBe("text-embedding-3-small");
    expect(r.data.map((d) => [d.object, d.index])).toEqual([["embedding", 0], ["embedding", 1]]);
    expect(r.data[0]?.embedding).toHaveLength(1536);
    expect(Array.from(r.data[0]?.embedding ?? [])).toEqual(fakeVector("text-embedding-3-small", "hello", 1536));
    expect(norm(r.data[1]?.embedding ?? [])).toBeCloseTo(1, 5);
    expect(r.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
    expect((openaiFake.requests.at(-1)?.body as { encoding_format?: string }).encoding_format).toBe("base64");
  });

  it("honours encoding_format float and base64 as asked, and dimensions (cut, back to unit length)", async () => {
    const f = await openai.embeddings.create({ model: "text-embedding-3-large", input: "hi", encoding_format: "float", dimensions: 8 });
    expect(f.data[0]?.embedding).toEqual(cutVector(fakeVector("text-embedding-3-large", "hi", 3072), 8));
    expect(norm(f.data[0]?.embedding ?? [])).toBeCloseTo(1, 5);
    const b = await openai.embeddings.create({ model: "text-embedding-3-large", input: "hi", encoding_format: "base64", dimensions: 8 });
    const text = b.data[0]?.embedding as unknown as string;
    expect(typeof text).toBe("string");
    expect(fromBase64Vector(text)).toEqual(f.data[0]?.embedding);
  });

  it("takes token arrays", async () => {
    const r = await openai.embeddings.create({ model: "text-embedding-3-small", input: [[1, 2, 3], [4]], encoding_format: "float" });
    expect(r.data).toHaveLength(2);
    expect(r.usage.prompt_tokens).toBe(4);
  });

  it("raises OpenAI's errors: unknown model 404, bad input 400, dimensions on ada-002 400", async () => {
    await expect(openai.embeddings.create({ model: "text-embedding-9", input: "x" })).rejects.toMatchObject({ status: 404, code: "model_not_found" });
    await expect(openai.embeddings.create({ model: "text-embedding-3-small", input: "" })).rejects.toMatchObject({ status: 400 });
    await expect(openai.embeddings.create({ model: "text-embedding-ada-002", input: "x", dimensions: 8 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(openai.embeddings.create({ model: "text-embedding-3-small", input: "x", dimensions: 5000 })).rejects.toMatchObject({ status: 400, param: "dimensions" });
  });

  it("takes scripted faults like the chat route", async () => {
    openaiFake.enqueue({ type: "status", status: 429, retryAfter: "1" });
    await expect(openai.embeddings.create({ model: "text-embedding-3-small", input: "x" })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });
});

describe("fake Ollama /api/embed, through the official client", () => {
  it("lists the embedding model with the embedding capability and its vector length", async () => {
    const show = await ollama.show({ model: "nomic-embed-text" });
    expect(show.capabilities).toEqual(["embedding"]);
    expect((show.model_info as unknown as Record<string, unknown>)["nomic-bert.embedding_length"]).toBe(768);
  });

  it("embeds a batch: unit vectors from fakeVector, prompt_eval_count, durations", async () => {
    const r = await ollama.embed({ model: "nomic-embed-text", input: ["a b", "c"] });
    expect(r.model).toBe("nomic-embed-text:latest");
    expect(r.embeddings).toEqual([fakeVector("nomic-embed-text:latest", "a b", 768), fakeVector("nomic-embed-text:latest", "c", 768)]);
    expect(r.prompt_eval_count).toBe(2);
    expect(r.total_duration).toBeGreaterThan(0);
    expect(ollamaFake.loaded.has("nomic-embed-text:latest")).toBe(true);
  });

  it("cuts a long input by default and refuses it with truncate: false, as Ollama does", async () => {
    const long = "x".repeat(100);
    expect((await ollama.embed({ model: "nomic-embed-text", input: long })).embeddings).toHaveLength(1);
    await expect(ollama.embed({ model: "nomic-embed-text", input: long, truncate: false })).rejects.toMatchObject({ status_code: 400, error: "the input length exceeds the context length" });
  });

  it("refuses a chat model for embeddings, an embedding model for chat, and an unknown model", async () => {
    await expect(ollama.embed({ model: "llama3.2", input: "x" })).rejects.toMatchObject({ status_code: 400, error: expect.stringContaining("does not support embeddings") });
    await expect(ollama.chat({ model: "nomic-embed-text", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status_code: 400 });
    await expect(ollama.embed({ model: "nope", input: "x" })).rejects.toMatchObject({ status_code: 404 });
  });

  it("takes faults scripted for /api/embed only", async () => {
    ollamaFake.enqueueEmbed({ type: "status", status: 503 });
    await ollama.list();
    await expect(ollama.embed({ model: "nomic-embed-text", input: "x" })).rejects.toMatchObject({ status_code: 503 });
    await expect(ollama.embed({ model: "nomic-embed-text", input: "x" })).resolves.toMatchObject({ model: "nomic-embed-text:latest" });
  });
});

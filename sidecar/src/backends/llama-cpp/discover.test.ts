import { describe, expect, it } from "vitest";
import { isChatModelMetadata, isEmbeddingMetadata, toLocalModel, trainContextFromMetadata, type DiscoveredModel } from "./discover.js";
import { isModelFileName, modelIdFromPath, splitPartPaths } from "./files.js";
import type { GgufFileInfo } from "node-llama-cpp";

describe("modelIdFromPath", () => {
  it("is the file name without .gguf", () => {
    expect(modelIdFromPath("/models/qwen2.5-7b-instruct-q4_k_m.gguf")).toBe("qwen2.5-7b-instruct-q4_k_m");
    expect(modelIdFromPath("Phi-3.GGUF")).toBe("Phi-3");
  });
  it("drops a split model's part suffix", () => {
    expect(modelIdFromPath("/m/llama-70b-q4-00001-of-00003.gguf")).toBe("llama-70b-q4");
  });
});

describe("isModelFileName", () => {
  it.each(["a.gguf", "B.GGUF", "big-00001-of-00002.gguf"])("lists %s", (n) => expect(isModelFileName(n)).toBe(true));
  it.each(["a.bin", "a.gguf.part", "big-00002-of-00002.gguf", "mmproj-model-f16.gguf"])("skips %s", (n) => expect(isModelFileName(n)).toBe(false));
});

describe("splitPartPaths", () => {
  it("lists every part of a split model", () => {
    expect(splitPartPaths("/m/x-00001-of-00003.gguf")).toEqual(["/m/x-00001-of-00003.gguf", "/m/x-00002-of-00003.gguf", "/m/x-00003-of-00003.gguf"]);
  });
  it("is the path itself otherwise", () => expect(splitPartPaths("/m/x.gguf")).toEqual(["/m/x.gguf"]));
});

const info = (meta: object) => meta as unknown as GgufFileInfo;

describe("metadata rules", () => {
  it("reads <arch>.context_length", () => {
    expect(trainContextFromMetadata(info({ architectureMetadata: { context_length: 32768 } }))).toBe(32768);
    expect(trainContextFromMetadata(info({ architectureMetadata: {} }))).toBeUndefined();
    expect(trainContextFromMetadata(info({ architectureMetadata: { context_length: 0 } }))).toBeUndefined();
  });
  it("skips LoRA adapters and vision encoders", () => {
    expect(isChatModelMetadata(info({ metadata: { general: { architecture: "llama" } } }))).toBe(true);
    expect(isChatModelMetadata(info({ metadata: { general: { architecture: "llama", type: "adapter" } } }))).toBe(false);
    expect(isChatModelMetadata(info({ metadata: { general: { architecture: "clip" } } }))).toBe(false);
  });
});

describe("isEmbeddingMetadata", () => {
  const meta = (architecture: string, pooling?: number) => info({ metadata: { general: { architecture } }, architectureMetadata: pooling === undefined ? {} : { pooling_type: pooling } });
  it("is an embedding model when the metadata says how to pool a sequence (mean, cls, last)", () => {
    expect(isEmbeddingMetadata(meta("qwen3", 3))).toBe(true);
    expect(isEmbeddingMetadata(meta("llama", 1))).toBe(true);
    expect(isEmbeddingMetadata(meta("llama", 2))).toBe(true);
  });
  it("is one for encoder-only architectures, whatever the pooling key says", () => {
    expect(isEmbeddingMetadata(meta("bert"))).toBe(true);
    expect(isEmbeddingMetadata(meta("nomic-bert"))).toBe(true);
  });
  it("is not one for chat models, no pooling, or a reranker's rank pooling", () => {
    expect(isEmbeddingMetadata(meta("llama"))).toBe(false);
    expect(isEmbeddingMetadata(meta("llama", 0))).toBe(false);
    expect(isEmbeddingMetadata(meta("qwen3", 4))).toBe(false);
  });
});

describe("toLocalModel", () => {
  const found: DiscoveredModel = { id: "m", path: "/m.gguf", sizeBytes: 123, architecture: "llama", trainContextLength: 8192, tools: true };
  it("reports what discovery found and what the pool knows now", () => {
    expect(toLocalModel(found, { loaded: true, contextLength: 4096, tokensPerSecond: 12.345 })).toEqual({
      id: "m",
      backend: "llama-cpp",
      contextLength: 4096,
      sizeBytes: 123,
      loaded: true,
      tools: true,
      tokensPerSecond: 12.3,
    });
  });
  it("marks an embedding model: embeddings, its vector length, and never chat", () => {
    const embedder: DiscoveredModel = { ...found, kind: "embedding", embeddingLength: 768 };
    expect(toLocalModel(embedder, { loaded: false, contextLength: 512, tokensPerSecond: 0 })).toMatchObject({ embeddings: true, embeddingLength: 768, chat: false });
    expect(toLocalModel({ ...found, embeddingLength: 4096 }, { loaded: false, contextLength: 512, tokensPerSecond: 0 })).not.toHaveProperty("embeddings");
  });
});

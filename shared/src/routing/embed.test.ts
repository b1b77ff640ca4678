import { describe, expect, it } from "vitest";
import { HearthError } from "../errors.js";
import type { LocalModel, SidecarState } from "../tunnel/protocol.js";
import { embeddingTarget, isEmbeddingModelName, pickEmbedder } from "./embed.js";
import { pickLocal, type SidecarView } from "./local.js";
import { routingPolicySchema } from "./policy.js";

function errorOf(fn: () => unknown): HearthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HearthError);
    return err as HearthError;
  }
  throw new Error("expected an error");
}

describe("embeddingTarget", () => {
  it("takes local/<model>, openai/<model> and bare text-embedding-* names", () => {
    expect(embeddingTarget("local/nomic-embed-text:latest", undefined)).toEqual({ provider: "local", model: "nomic-embed-text:latest", id: "local/nomic-embed-text:latest" });
    expect(embeddingTarget("openai/text-embedding-3-large", undefined)).toEqual({ provider: "openai", model: "text-embedding-3-large", id: "openai/text-embedding-3-large" });
    expect(embeddingTarget("text-embedding-3-small", undefined)).toEqual({ provider: "openai", model: "text-embedding-3-small", id: "openai/text-embedding-3-small" });
  });

  it("reads auto as the one configured model, and refuses auto when none is", () => {
    expect(embeddingTarget("auto", "local/bge-m3").id).toBe("local/bge-m3");
    const err = errorOf(() => embeddingTarget("auto", undefined));
    expect(err).toMatchObject({ code: "invalid_request", status: 400, param: "model" });
    expect(err.message).toMatch(/embeddingModel.*HEARTH_EMBEDDING_MODEL/);
  });

  it("refuses names that cannot embed (400) and unknown names (404)", () => {
    expect(errorOf(() => embeddingTarget("local", undefined))).toMatchObject({ status: 400, param: "model" });
    expect(errorOf(() => embeddingTarget("anthropic/claude-x", undefined)).message).toMatch(/Anthropic has no embeddings API/);
    expect(errorOf(() => embeddingTarget("claude-sonnet-4-5", undefined)).status).toBe(400);
    expect(errorOf(() => embeddingTarget("gpt-4o", undefined))).toMatchObject({ code: "model_not_found", status: 404 });
    expect(errorOf(() => embeddingTarget("nomic-embed-text", undefined)).status).toBe(404);
    expect(errorOf(() => embeddingTarget("mistral/embed", undefined)).status).toBe(404);
  });

  it("lets a policy name one embedding model for auto, and nothing else", () => {
    expect(routingPolicySchema.parse({ embeddingModel: "local/bge-m3" }).embeddingModel).toBe("local/bge-m3");
    for (const bad of ["auto", "local", "anthropic/x", "gpt-4o", ""]) {
      const r = routingPolicySchema.safeParse({ embeddingModel: bad });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual(["embeddingModel"]);
    }
  });

  it("says which names can be configured for auto", () => {
    expect(isEmbeddingModelName("local/bge-m3")).toBe(true);
    expect(isEmbeddingModelName("text-embedding-3-small")).toBe(true);
    expect(isEmbeddingModelName("auto")).toBe(false);
    expect(isEmbeddingModelName("local")).toBe(false);
    expect(isEmbeddingModelName("anthropic/x")).toBe(false);
  });
});

const model = (id: string, over: Partial<LocalModel> = {}): LocalModel => ({
  id,
  backend: "ollama",
  contextLength: 2048,
  loaded: true,
  tools: false,
  tokensPerSecond: 0,
  embeddings: true,
  ...over,
});

function view(sidecarId: string, models: LocalModel[], over: Partial<SidecarState> = {}, inflight = 0): SidecarView {
  return {
    sidecarId,
    inflight,
    breakerAllows: true,
    state: { models, slots: { total: 2, free: 2 }, queue: { depth: 0, max: 2 }, loading: [], freeMemoryBytes: 1e9, draining: false, ...over },
  };
}

describe("pickEmbedder", () => {
  it("is offline without sidecars, and names what is wrong with the model otherwise", () => {
    expect(pickEmbedder("e", [])).toEqual({ ok: false, reason: "offline" });
    expect(pickEmbedder("e", [view("a", [model("other")])])).toEqual({ ok: false, reason: "no_such_model" });
    expect(pickEmbedder("e", [view("a", [model("e", { embeddings: false })]), view("b", [])])).toEqual({ ok: false, reason: "no_embeddings" });
    expect(pickEmbedder("e", [view("a", [model("e")], { draining: true })])).toEqual({ ok: false, reason: "draining" });
  });

  it("picks a sidecar with the model and room, loaded first, never another model", () => {
    const choice = pickEmbedder("e", [view("a", [model("x")]), view("b", [model("e", { loaded: false })]), view("c", [model("e")])]);
    expect(choice).toMatchObject({ ok: true, sidecarId: "c", model: { id: "e" } });
  });

  it("prefers a sidecar that has not just failed the request (the same model elsewhere)", () => {
    const sidecars = [view("a", [model("e")]), view("b", [model("e")])];
    expect(pickEmbedder("e", sidecars)).toMatchObject({ sidecarId: "a" });
    expect(pickEmbedder("e", sidecars, ["a"])).toMatchObject({ sidecarId: "b" });
    expect(pickEmbedder("e", [view("a", [model("e")])], ["a"])).toMatchObject({ ok: true, sidecarId: "a" });
  });

  it("chooses a full or loading sidecar marked wait, since home is the only target", () => {
    expect(pickEmbedder("e", [view("a", [model("e")], {}, 4)])).toMatchObject({ ok: true, sidecarId: "a", wait: "overloaded" });
    expect(pickEmbedder("e", [view("a", [model("e")], {}, 4), view("b", [model("e")], {}, 3)])).toMatchObject({ sidecarId: "b" });
    expect(pickEmbedder("e", [view("a", [model("e", { loaded: false })], { loading: ["e"] })])).toMatchObject({ ok: true, wait: "loading" });
  });
});

describe("chat routing and embedding-only models", () => {
  const chatFeatures = { promptTokens: 10, reserveTokens: 10, needsTools: false };

  it("never picks a model marked chat: false, named or not", () => {
    const sidecars = [view("a", [model("embedder", { chat: false, contextLength: 8192, sizeBytes: 9e9 }), model("talker", { embeddings: false, loaded: false })])];
    expect(pickLocal(chatFeatures, sidecars)).toMatchObject({ ok: true, model: { id: "talker" } });
    expect(pickLocal({ ...chatFeatures, model: "embedder" }, sidecars)).toEqual({ ok: false, reason: "no_such_model" });
    expect(pickLocal(chatFeatures, [view("a", [model("embedder", { chat: false })])])).toEqual({ ok: false, reason: "no_such_model" });
  });
});

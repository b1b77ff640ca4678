import type { ListResponse, ModelResponse, Ollama, ShowResponse } from "ollama";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../log.js";
import { contextLength, createModelCatalog, readShow } from "./models.js";

type Show = Pick<ShowResponse, "model_info" | "capabilities" | "parameters" | "template">;
const show = (s: { info?: Record<string, unknown>; capabilities?: string[]; parameters?: string; template?: string }): Show =>
  ({ model_info: s.info ?? {}, capabilities: s.capabilities, parameters: s.parameters ?? "", template: s.template ?? "" }) as unknown as Show;

describe("readShow", () => {
  it("reads <arch>.context_length and the capabilities", () => {
    const facts = readShow(show({ info: { "general.architecture": "qwen2", "qwen2.context_length": 32768 }, capabilities: ["completion", "tools"] }));
    expect(facts).toEqual({ trainedContext: 32768, tools: true, chat: true, embeddings: false });
  });

  it("reads a Modelfile num_ctx, marks embedding-only models, and falls back to the template without capabilities", () => {
    expect(readShow(show({ parameters: 'num_ctx                        8192\nstop "x"', capabilities: ["embedding"] }))).toEqual({
      modelfileNumCtx: 8192,
      tools: false,
      chat: false,
      embeddings: true,
    });
    expect(readShow(show({ info: { "general.architecture": "bert", "bert.context_length": 512, "bert.embedding_length": 768 }, capabilities: ["embedding"] }))).toMatchObject({
      trainedContext: 512,
      embeddings: true,
      embeddingLength: 768,
    });
    expect(readShow(show({ info: { "llama.context_length": 4096 }, template: "{{ .Tools }}" }))).toEqual({ trainedContext: 4096, tools: true, chat: true, embeddings: false });
  });
});

describe("contextLength", () => {
  it("is the asked num_ctx capped at the trained length, else what is known, else 2048", () => {
    expect(contextLength({ trainedContext: 131072, tools: false, chat: true, embeddings: false }, 8192)).toBe(8192);
    expect(contextLength({ trainedContext: 4096, modelfileNumCtx: 16384, tools: false, chat: true, embeddings: false })).toBe(4096);
    expect(contextLength({ trainedContext: 131072, tools: false, chat: true, embeddings: false })).toBe(131072);
    expect(contextLength({ tools: false, chat: true, embeddings: false })).toBe(2048);
  });
});

function tag(name: string, digest = name): ModelResponse {
  return { name, model: name, size: 1000, digest } as ModelResponse;
}

function stubClient() {
  const calls = { list: 0, ps: 0, show: 0 };
  const state = { down: false, tags: [tag("a:latest"), tag("emb:latest")], loaded: ["a:latest"] };
  const client: Pick<Ollama, "list" | "ps" | "show"> = {
    list: async () => {
      calls.list++;
      if (state.down) throw new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
      return { models: state.tags } as ListResponse;
    },
    ps: async () => {
      calls.ps++;
      return { models: state.loaded.map((n) => tag(n)) } as ListResponse;
    },
    show: async ({ model }) => {
      calls.show++;
      const caps = model.startsWith("emb") ? ["embedding"] : ["completion", "tools"];
      return show({ info: { "general.architecture": "llama", "llama.context_length": 8192 }, capabilities: caps }) as ShowResponse;
    },
  };
  return { client, calls, state };
}

function catalogWith(stub: ReturnType<typeof stubClient>) {
  const lines: string[] = [];
  let t = 0;
  const catalog = createModelCatalog({
    client: stub.client,
    host: "http://127.0.0.1:11434",
    log: createLogger("info", (l) => lines.push(l)),
    refreshMs: 5000,
    now: () => t,
  });
  return { catalog, lines, advance: (ms: number) => (t += ms) };
}

describe("createModelCatalog", () => {
  it("lists chat models with their facts, and embedding-only ones marked chat: false", async () => {
    const { catalog } = catalogWith(stubClient());
    expect(await catalog.models()).toEqual([
      { id: "a:latest", backend: "ollama", contextLength: 8192, sizeBytes: 1000, loaded: true, tools: true, tokensPerSecond: 0 },
      { id: "emb:latest", backend: "ollama", contextLength: 8192, sizeBytes: 1000, loaded: false, tools: false, tokensPerSecond: 0, embeddings: true, chat: false },
    ]);
    expect(catalog.isLoaded("a:latest")).toBe(true);
  });

  it("reads Ollama at most every refreshMs, shares a refresh, and shows each digest once", async () => {
    const stub = stubClient();
    const { catalog, advance } = catalogWith(stub);
    await Promise.all([catalog.models(), catalog.models()]);
    await catalog.models();
    expect(stub.calls).toEqual({ list: 1, ps: 1, show: 2 });
    advance(5000);
    stub.state.loaded = [];
    expect((await catalog.models())[0]?.loaded).toBe(false);
    expect(stub.calls).toEqual({ list: 2, ps: 2, show: 2 });
    catalog.invalidate();
    catalog.recordSpeed("a:latest", 42);
    expect((await catalog.models())[0]?.tokensPerSecond).toBe(42);
  });

  it("returns [] while Ollama is down, warning once, and says when it is back", async () => {
    const stub = stubClient();
    const { catalog, lines, advance } = catalogWith(stub);
    stub.state.down = true;
    expect(await catalog.models()).toEqual([]);
    advance(5000);
    expect(await catalog.models()).toEqual([]);
    expect(lines.filter((l) => l.includes("warn"))).toHaveLength(1);
    expect(lines[0]).toContain("not reachable at http://127.0.0.1:11434");
    stub.state.down = false;
    advance(5000);
    expect(await catalog.models()).toHaveLength(2);
    expect(lines.at(-1)).toContain("reachable again");
  });
});

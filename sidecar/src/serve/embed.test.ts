import { decodeVector, type LocalModel, type SidecarFrame } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import type { Backend, EmbedBatch } from "../backends/types.js";
import { silentLogger } from "../log.js";
import { withTags } from "../sidecar.js";
import { Admission } from "./admission.js";
import type { EmbedFrame } from "./embed.js";
import { RequestHandler } from "./handler.js";

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** A backend whose embed plays `steps` (a number is a pause in ms) and records what it was asked. */
function backend(steps: (EmbedBatch | number | Error)[]) {
  const asked: string[][] = [];
  const b: Backend = {
    kind: "llama-cpp",
    models: async () => [],
    loading: () => [],
    async *generate() {
      throw new Error("not used");
    },
    async *embed(_model, inputs, opts) {
      asked.push([...inputs]);
      for (const s of steps) {
        if (opts.signal.aborted) throw new Error("aborted");
        if (typeof s === "number") await sleep(s, opts.signal);
        else if (s instanceof Error) throw s;
        else yield s;
      }
    },
    dispose: async () => undefined,
  };
  return { b, asked };
}

function handler(b: Backend | undefined, framing = { frameChars: 1 << 20, everyMs: 1_000 }, admission = new Admission({ slots: 1, queue: 0 })) {
  const frames: SidecarFrame[] = [];
  const h = new RequestHandler({
    admission,
    backendFor: () => b,
    send: (f) => frames.push(f),
    log: silentLogger,
    onChange: () => undefined,
    embedFraming: framing,
  });
  return { h, frames };
}

const embed = (input: string[], dimensions?: number): EmbedFrame => ({ t: "embed", id: "e1", model: "m", input, ...(dimensions ? { dimensions } : {}) });
const batch = (...vectors: number[][]): EmbedBatch => ({ vectors, promptTokens: vectors.length * 2 });
const vectorsOf = (frames: SidecarFrame[]) => frames.flatMap((f) => (f.t === "vectors" ? f.data.map((v) => [...decodeVector(v)]) : []));

describe("serving an embed request", () => {
  it("sends the first vector at once, gathers the rest, then embedded with the count and usage; every frame numbered", async () => {
    const { b } = backend([batch([3, 4]), batch([1, 0], [0, 2])]);
    const { h, frames } = handler(b);
    await h.embed(embed(["a", "b", "c"]));
    expect(frames.map((f) => f.t)).toEqual(["vectors", "vectors", "embedded"]);
    expect(frames.map((f) => ("seq" in f ? f.seq : undefined))).toEqual([0, 1, 2]);
    expect(frames.map((f) => (f.t === "vectors" ? f.index : undefined))).toEqual([0, 1, undefined]);
    // Unit length, as OpenAI's vectors are.
    expect(vectorsOf(frames)).toEqual([[0.6, 0.8].map(Math.fround), [1, 0], [0, 1]]);
    expect(frames.at(-1)).toEqual({ t: "embedded", id: "e1", seq: 2, count: 3, usage: { prompt_tokens: 6 } });
  });

  it("cuts to dimensions before scaling, and refuses dimensions above the model's", async () => {
    const { b } = backend([batch([3, 4, 12])]);
    const { h, frames } = handler(b);
    await h.embed(embed(["a"], 2));
    expect(vectorsOf(frames)).toEqual([[0.6, 0.8].map(Math.fround)]);
    const { h: h2, frames: f2 } = handler(backend([batch([1, 2])]).b);
    await h2.embed(embed(["a"], 3));
    expect(f2).toEqual([{ t: "error", id: "e1", seq: 0, code: "invalid_request", message: "'dimensions' is 3, more than the 2 of 'm''s vectors" }]);
  });

  it("splits vectors over frames by size, so no frame grows past the limit", async () => {
    const { b } = backend([batch([1, 0]), batch([0, 1]), batch([1, 1]), batch([2, 1])]);
    const { h, frames } = handler(b, { frameChars: 20, everyMs: 60_000 });
    await h.embed(embed(["a", "b", "c", "d"]));
    const sizes = frames.flatMap((f) => (f.t === "vectors" ? [f.data.length] : []));
    expect(sizes).toEqual([1, 2, 1]);
    expect(vectorsOf(frames)).toHaveLength(4);
  });

  it("says alive while one input keeps the model busy, once vectors have begun", async () => {
    const { b } = backend([batch([1, 0]), 90, batch([0, 1])]);
    const { h, frames } = handler(b, { frameChars: 1 << 20, everyMs: 20 });
    await h.embed(embed(["a", "b"]));
    expect(frames[0]?.t).toBe("vectors");
    expect(frames.filter((f) => f.t === "alive").length).toBeGreaterThanOrEqual(2);
    expect(frames.at(-1)?.t).toBe("embedded");
  });

  it("fails a backend that makes the wrong number of vectors, and one that cannot embed", async () => {
    const { h, frames } = handler(backend([batch([1])]).b);
    await h.embed(embed(["a", "b"]));
    expect(frames.at(-1)).toMatchObject({ t: "error", code: "backend_error" });
    const noEmbed: Backend = { ...backend([]).b, embed: undefined };
    const { h: h2, frames: f2 } = handler(noEmbed);
    await h2.embed(embed(["a"]));
    expect(f2).toEqual([{ t: "error", id: "e1", seq: 0, code: "unsupported", message: "the llama-cpp backend cannot embed" }]);
    const { h: h3, frames: f3 } = handler(undefined);
    await h3.embed(embed(["a"]));
    expect(f3[0]).toMatchObject({ code: "model_not_found" });
  });

  it("is cancelled by the Worker like a chat request, and takes an admission slot", async () => {
    const admission = new Admission({ slots: 1, queue: 0 });
    const { b } = backend([batch([1, 0]), 5_000, batch([0, 1])]);
    const { h, frames } = handler(b, undefined, admission);
    const running = h.embed(embed(["a", "b"]));
    await sleep(20);
    expect(admission.active).toBe(1);
    h.cancel("e1");
    await running;
    expect(frames.at(-1)).toMatchObject({ t: "error", code: "cancelled" });
    expect(admission.active).toBe(0);
  });
});

describe("withTags", () => {
  const model = (id: string): LocalModel => ({ id, backend: "llama-cpp", contextLength: 256, loaded: false, tools: false, tokensPerSecond: 0 });

  it("adds configured tags, and the embeddings tag offers the model for embeddings", () => {
    const out = withTags([model("a"), model("b"), model("c")], { a: ["code"], b: ["embeddings"] });
    expect(out).toEqual([{ ...model("a"), tags: ["code"] }, { ...model("b"), tags: ["embeddings"], embeddings: true }, model("c")]);
  });
});

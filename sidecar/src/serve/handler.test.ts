import type { ChatRequest, SidecarFrame } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import type { Backend, GenerationEvent } from "../backends/types.js";
import { silentLogger } from "../log.js";
import { Admission } from "./admission.js";
import { RequestHandler } from "./handler.js";

const body: ChatRequest = { model: "local/m", messages: [{ role: "user", content: "hi" }] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A backend that plays `events` (a number is a pause in ms) and records what it was asked. */
function backend(events: (GenerationEvent | number)[]) {
  const asked: { prefix: string | undefined }[] = [];
  const b: Backend = {
    kind: "ollama",
    models: async () => [],
    loading: () => [],
    async *generate(_model, _req, opts) {
      asked.push({ prefix: opts.prefix });
      for (const e of events) {
        if (typeof e === "number") await sleep(e);
        else yield e;
      }
    },
    dispose: async () => undefined,
  };
  return { b, asked };
}

function handler(b: Backend, stateN = 7) {
  const frames: SidecarFrame[] = [];
  const h = new RequestHandler({
    admission: new Admission({ slots: 1, queue: 0 }),
    backendFor: () => b,
    send: (f) => frames.push(f),
    log: silentLogger,
    onChange: () => undefined,
    stateN: () => stateN,
    coalesce: { minDelayMs: 1, maxDelayMs: 1, maxChars: 512 },
  });
  return { h, frames };
}

const end: GenerationEvent = { type: "end", finishReason: "stop", usage: { prompt_tokens: 1, completion_tokens: 2 } };

describe("RequestHandler", () => {
  it("names the last state report in start, and numbers every frame", async () => {
    const { b } = backend([{ type: "text", text: "hello" }, end]);
    const { h, frames } = handler(b, 7);
    await h.run({ t: "request", id: "r1", model: "m", body });
    expect(frames[0]).toEqual({ t: "start", id: "r1", seq: 0, model: "m", stateN: 7 });
    expect(frames.map((f) => ("seq" in f ? f.seq : -1))).toEqual([0, 1, 2]);
    expect(frames.at(-1)).toMatchObject({ t: "end", finishReason: "stop" });
  });

  it("while the model works without text, says it is alive about once a second — not once per token", async () => {
    const progress: (GenerationEvent | number)[] = [];
    for (let i = 0; i < 25; i++) progress.push({ type: "progress" }, 100);
    const { b } = backend([...progress, { type: "tool_call", index: 0, id: "call_1", name: "f", arguments: "{}" }, end]);
    const { h, frames } = handler(b);
    await h.run({ t: "request", id: "r2", model: "m", body });
    const alive = frames.filter((f) => f.t === "alive");
    expect(alive.length).toBeGreaterThanOrEqual(1);
    expect(alive.length).toBeLessThanOrEqual(3);
    expect(frames[0]?.t).toBe("start");
  });

  it("passes a prefix to continue on to the backend", async () => {
    const { b, asked } = backend([{ type: "text", text: " time." }, end]);
    const { h } = handler(b);
    await h.run({ t: "request", id: "r3", model: "m", body, prefix: "Once upon a" });
    expect(asked).toEqual([{ prefix: "Once upon a" }]);
  });
});

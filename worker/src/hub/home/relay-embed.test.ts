import { encodeFrame, type SidecarFrame } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import { Relay, type Outcome } from "./relay.js";

const ws = {} as WebSocket;

function relay() {
  const seen = { outcomes: [] as Outcome[], samples: 0, cancels: [] as string[], finished: 0 };
  const r = new Relay({
    onOutcome: (_id, o) => seen.outcomes.push(o),
    cancelAtHome: (_ws, id) => seen.cancels.push(id),
    onSample: () => seen.samples++,
    onFinish: () => seen.finished++,
  });
  return { r, seen };
}

async function lines(stream: ReadableStream<Uint8Array>): Promise<SidecarFrame[]> {
  const text = await new Response(stream).text();
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as SidecarFrame);
}

const deliver = (r: Relay, f: Extract<SidecarFrame, { id: string }>) => r.deliver(ws, f, encodeFrame(f));

describe("the relay with embedding requests", () => {
  it("relays vectors in seq order and ends at embedded, telling neither the breaker nor the performance window", async () => {
    const { r, seen } = relay();
    const stream = r.open("e1", "box", "nomic", ws, 1_000, 0, "embed");
    deliver(r, { t: "vectors", id: "e1", seq: 1, index: 1, data: ["BBBB"] });
    deliver(r, { t: "vectors", id: "e1", seq: 0, index: 0, data: ["AAAA"] });
    deliver(r, { t: "embedded", id: "e1", seq: 2, count: 2, usage: { prompt_tokens: 3 } });
    expect((await lines(stream)).map((f) => [f.t, "index" in f ? f.index : undefined])).toEqual([["vectors", 0], ["vectors", 1], ["embedded", undefined]]);
    expect(seen).toEqual({ outcomes: [], samples: 0, cancels: [], finished: 1 });
    expect(r.inflightOn("box")).toBe(0);
  });

  it("times out without vectors: cancels at home, ends with a timeout error, and still says nothing to the breaker", async () => {
    const { r, seen } = relay();
    const stream = r.open("e2", "box", "nomic", ws, 20, 0, "embed");
    const frames = await lines(stream);
    expect(frames).toEqual([{ t: "error", id: "e2", code: "timeout", message: "no first token within 20 ms" }]);
    expect(seen.cancels).toEqual(["e2"]);
    expect(seen.outcomes).toEqual([]);
    expect(seen.samples).toBe(0);
  });

  it("keeps chat requests as they were: their outcome and sample are reported", async () => {
    const { r, seen } = relay();
    const stream = r.open("c1", "box", "llama", ws, 1_000);
    deliver(r, { t: "delta", id: "c1", seq: 0, text: "hi" });
    deliver(r, { t: "end", id: "c1", seq: 1, finishReason: "stop", usage: { prompt_tokens: 1, completion_tokens: 1 } });
    await lines(stream);
    expect(seen.outcomes).toEqual(["success"]);
    expect(seen.samples).toBe(1);
  });
});

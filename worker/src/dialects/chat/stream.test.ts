import { describe, expect, it } from "vitest";
import { PlanRun } from "../../execute/run.js";
import { RETRY, fakeOpener, ok, planOf, target, type FakeOpener, type Script } from "../../execute/test-openers.js";
import { createLogger } from "../../log.js";
import { chatEncoder } from "./encode.js";
import { answerStream, type StreamEnd } from "../../pipeline/stream.js";

/** Reads one chunk at a time, as an HTTP response pump does (no read is outstanding during a pull). */
async function readAll(body: ReadableStream<Uint8Array>): Promise<string[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const r = await Promise.race([reader.read(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`stalled after: ${text}`)), 2_000))]);
    if (r.done) return text.split("\n\n").filter(Boolean).map((e) => e.replace(/^data: /, ""));
    text += decoder.decode(r.value);
  }
}

interface Event {
  id?: string;
  choices?: { delta: { content?: string }; finish_reason: string | null }[];
  usage?: object;
  hearth?: { continued: { from: string; to: string; reason: string; at_chars: number }[] };
  error?: { code: string };
}
const parse = (events: string[]) => events.filter((e) => e !== "[DONE]").map((e) => JSON.parse(e) as Event);
const textOf = (events: Event[]) => events.map((e) => e.choices?.[0]?.delta.content ?? "").join("");

async function streamed(targets: { id: string; scripts: Script[] }[], opts: { includeUsage?: boolean; continueOnBreak?: boolean; idleMs?: number } = {}) {
  const openers = new Map<string, FakeOpener>(targets.map((t) => [t.id, fakeOpener(target(t.id), t.scripts)]));
  const run = new PlanRun(planOf(targets.map((t) => target(t.id))), (t) => openers.get(t.id) as FakeOpener, {
    retry: { ...RETRY, maxAttemptsPerTarget: 1 },
    signal: new AbortController().signal,
    idleMs: opts.idleMs ?? 1_000,
  });
  const commit = await run.next();
  if (!commit) throw new Error("nothing committed");
  let end: StreamEnd | undefined;
  const body = answerStream({ run, commit, encoder: chatEncoder(opts.includeUsage ?? false), continueOnBreak: opts.continueOnBreak ?? false, log: createLogger("error"), onEnd: (e) => (end = e) });
  return { body, run, openers, end: () => end };
}

describe("answerStream with the chat encoder", () => {
  it.each([false, true])("ends with [DONE] whether or not the client asked for usage (include_usage %s)", async (includeUsage) => {
    const s = await streamed([{ id: "openai/a", scripts: [{ steps: [{ text: "Hel" }, { wait: 1 }, { text: "lo" }, { finish: "stop" }, { usage: [3, 2] }] }] }], { includeUsage });
    const events = await readAll(s.body);
    expect(events.at(-1)).toBe("[DONE]");
    expect(events.some((e) => e.includes('"usage"'))).toBe(includeUsage);
    expect(textOf(parse(events))).toBe("Hello");
    expect(s.end()).toEqual({ error: undefined, served: "openai/a", usage: { prompt_tokens: 3, completion_tokens: 2 } });
  });

  it("a break after the answer began ends the stream with a typed error event and no [DONE]", async () => {
    const s = await streamed([{ id: "openai/a", scripts: [{ steps: [{ text: "par" }, { cut: "connection reset" }] }] }]);
    const events = await readAll(s.body);
    expect(events).not.toContain("[DONE]");
    expect(parse(events).at(-1)?.error?.code).toBe("stream_interrupted");
    expect(s.end()?.error).toBe("stream_interrupted");
  });

  it("a stream that ends without a finish reason is a break, not a success", async () => {
    const s = await streamed([{ id: "openai/a", scripts: [{ steps: [{ text: "trunc" }] }] }]);
    const events = await readAll(s.body);
    expect(events).not.toContain("[DONE]");
    expect(parse(events).at(-1)?.error?.code).toBe("stream_interrupted");
  });

  it("a stall after the answer began ends the stream with upstream_timeout and stops the source", async () => {
    const s = await streamed([{ id: "local/m", scripts: [{ steps: [{ text: "Once" }, "hang"] }] }], { idleMs: 50 });
    const events = await readAll(s.body);
    expect(parse(events).at(-1)?.error?.code).toBe("upstream_timeout");
    expect(s.openers.get("local/m")?.opened[0]?.signal.aborted).toBe(true);
  });

  it("with continueOnBreak, the next target continues the answer in the same stream, with one id, and the last chunk names the splice", async () => {
    const s = await streamed(
      [
        { id: "local/m", scripts: [{ steps: [{ text: "Once upon " }, "hang"] }] },
        { id: "anthropic/b", scripts: [ok(" a time.")] },
      ],
      { continueOnBreak: true, idleMs: 50 },
    );
    const events = await readAll(s.body);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = parse(events);
    // The seam's whitespace is not doubled (a prefill cannot end in whitespace, so the continuation repeats it).
    expect(textOf(chunks)).toBe("Once upon a time.");
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(["chatcmpl-local/m-1"]));
    expect(s.openers.get("anthropic/b")?.opened[0]?.prefix).toBe("Once upon ");
    const finish = chunks.find((c) => c.choices?.[0]?.finish_reason);
    expect(finish?.hearth?.continued).toEqual([{ at_chars: 10, from: "local/m", to: "anthropic/b", reason: "idle_timeout" }]);
    expect(s.end()).toMatchObject({ error: undefined, served: "anthropic/b" });
  });

  it("with continueOnBreak but nothing left to continue on, the stream still ends with a typed error", async () => {
    const s = await streamed([{ id: "local/m", scripts: [{ steps: [{ text: "Once" }, { cut: "gone" }] }] }], { continueOnBreak: true });
    const events = await readAll(s.body);
    expect(events).not.toContain("[DONE]");
    expect(parse(events).at(-1)?.error?.code).toBe("stream_interrupted");
  });

  it("a client that leaves stops the source and is recorded as client_closed", async () => {
    const s = await streamed([{ id: "local/m", scripts: [{ steps: [{ text: "Once" }, "hang"] }] }]);
    const reader = s.body.getReader();
    await reader.read();
    await reader.cancel();
    expect(s.openers.get("local/m")?.opened[0]?.signal.aborted).toBe(true);
    expect(s.end()?.error).toBe("client_closed");
  });
});

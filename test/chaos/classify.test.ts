/**
 * The chaos classifier on hand-made answers: what counts as complete, typed, and lost.
 */
import { describe, expect, it } from "vitest";
import { classify, sseData, type ExpectedText, type Mode, type Observation } from "./classify.js";
import { failedKind, lostDetails, nothingLost, percentile, summarize, table } from "./report.js";

const LOCAL = "local/home:latest";
const CLOUD = "openai/gpt-4o-mini";
const expected: ExpectedText = (t) => (t === LOCAL ? "The home model answers slowly." : t === CLOUD ? "Echo: hi" : undefined);

const chunk = (delta: object, finish: string | null = null) =>
  JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] });
const sse = (...payloads: string[]) => payloads.map((p) => `data: ${p}\n\n`).join("");
const errorEvent = JSON.stringify({ error: { message: "The stream from local/home broke after it started.", type: "upstream_error", code: "stream_interrupted" } });
const completion = (content: string | null, finish: string | null = "stop") =>
  JSON.stringify({ id: "c1", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: finish }] });
const whole = (text: string) => [chunk({ role: "assistant", content: "" }), ...(text.match(/.{1,5}/g) ?? []).map((p) => chunk({ content: p })), chunk({}, "stop")];

function obs(mode: Mode, over: Partial<Observation> = {}): Observation {
  return { mode, status: 200, target: LOCAL, body: "", end: "end", ...over };
}
const verdict = (o: Observation) => classify(o, expected);

describe("classify: JSON answers", () => {
  it("complete when the content is the serving target's whole answer", () => {
    expect(verdict(obs("fetch-json", { body: completion("The home model answers slowly.") }))).toEqual({ outcome: "complete", why: LOCAL });
    expect(verdict(obs("fetch-json", { target: CLOUD, body: completion("Echo: hi") })).outcome).toBe("complete");
  });

  it("typed for an OpenAI-shaped error body with any error status", () => {
    const body = JSON.stringify({ error: { message: "no target", type: "service_unavailable", param: null, code: "no_target_available" } });
    expect(verdict(obs("fetch-json", { status: 503, target: null, body }))).toEqual({ outcome: "typed", why: "503" });
  });

  it("lost: an error status without such a body, a cut body, another target's text, a truncated text", () => {
    expect(verdict(obs("fetch-json", { status: 502, body: "<html>Bad gateway</html>" })).outcome).toBe("lost");
    expect(verdict(obs("fetch-json", { body: completion("The home model answers slowly.").slice(0, 40) })).why).toMatch(/not JSON/);
    expect(verdict(obs("fetch-json", { target: CLOUD, body: completion("The home model answers slowly.") })).why).toMatch(/text different/);
    expect(verdict(obs("fetch-json", { body: completion("The home model") })).why).toMatch(/text truncated: 14 of 30 chars/);
    expect(verdict(obs("fetch-json", { body: completion(null) })).why).toMatch(/without text content/);
    expect(verdict(obs("fetch-json", { body: completion("The home model answers slowly.", null) })).why).toMatch(/finish_reason/);
    expect(verdict(obs("fetch-json", { target: null, body: completion("Echo: hi") })).why).toMatch(/x-hearth-target/);
    expect(verdict(obs("fetch-json", { target: "local/other", body: completion("Echo: hi") })).why).toMatch(/unexpected target/);
  });

  it("lost: a hang to the ceiling, a reset, no response at all", () => {
    expect(verdict(obs("fetch-json", { status: undefined, end: "ceiling" })).why).toMatch(/^hang: no response/);
    expect(verdict(obs("fetch-stream", { end: "ceiling", body: sse(...whole("The home")) })).why).toMatch(/^hang: the body/);
    expect(verdict(obs("fetch-json", { status: undefined, end: "error", error: "ECONNRESET" })).why).toBe("no response: ECONNRESET");
    expect(verdict(obs("fetch-stream", { end: "error", error: "terminated" })).why).toBe("body broke: terminated");
  });
});

describe("classify: streams", () => {
  it("complete with a finish reason, [DONE] last, and the deltas adding up to the answer", () => {
    const body = sse(...whole("The home model answers slowly."), "[DONE]");
    expect(verdict(obs("fetch-stream", { body })).outcome).toBe("complete");
    // Usage chunks (no choices) and SSE comments change nothing.
    const withUsage = `: keepalive\n\n${sse(...whole("Echo: hi"), JSON.stringify({ choices: [], usage: { total_tokens: 3 } }), "[DONE]")}`;
    expect(verdict(obs("fetch-stream", { target: CLOUD, body: withUsage })).outcome).toBe("complete");
  });

  it("typed when the stream ends in one error event without [DONE]", () => {
    const body = sse(chunk({ role: "assistant", content: "" }), chunk({ content: "The ho" }), errorEvent);
    expect(verdict(obs("fetch-stream", { body }))).toEqual({ outcome: "typed", why: "error event" });
  });

  it("lost: truncated without [DONE], [DONE] without a finish reason, a text that differs, events after the end", () => {
    const text = "The home model answers slowly.";
    expect(verdict(obs("fetch-stream", { body: sse(...whole(text).slice(0, 3)) })).why).toMatch(/neither \[DONE\] nor an error \(truncated\)/);
    expect(verdict(obs("fetch-stream", { body: "" })).why).toBe("stream ended empty");
    expect(verdict(obs("fetch-stream", { body: sse(...whole(text).slice(0, -1), "[DONE]") })).why).toBe("[DONE] without a finish_reason");
    expect(verdict(obs("fetch-stream", { body: sse(...whole("The home model"), "[DONE]") })).why).toMatch(/text truncated/);
    expect(verdict(obs("fetch-stream", { body: sse(...whole(text), errorEvent, "[DONE]") })).why).toMatch(/error event and \[DONE\]/);
    expect(verdict(obs("fetch-stream", { body: sse(errorEvent, chunk({ content: "x" })) })).why).toMatch(/after the error/);
    expect(verdict(obs("fetch-stream", { body: sse(...whole(text), "[DONE]", chunk({ content: "x" })) })).why).toMatch(/after \[DONE\]/);
    expect(verdict(obs("fetch-stream", { body: sse(...whole(text), "{not json", "[DONE]") })).why).toMatch(/not chunks/);
  });

  it("reads SSE events split over CRLF and multi-line data", () => {
    expect(sseData("data: a\r\n\r\ndata: b\ndata: c\n\nevent: x\n\n")).toEqual(["a", "b\nc"]);
  });
});

describe("classify: SDK modes agree with the wire", () => {
  const wireOk = sse(...whole("Echo: hi"), "[DONE]");
  it("complete only when the SDK's text is the answer too", () => {
    const ok = obs("sdk-stream", { target: CLOUD, body: wireOk, sdk: { ok: true, text: "Echo: hi", finishReason: "stop" } });
    expect(verdict(ok).outcome).toBe("complete");
    expect(verdict({ ...ok, sdk: { ok: true, text: "Echo:", finishReason: "stop" } }).why).toMatch(/SDK's text differs/);
  });

  it("lost when the SDK reports success over a truncated stream (it does not require [DONE])", () => {
    const cut = obs("sdk-stream", { target: CLOUD, body: sse(...whole("Echo: hi").slice(0, 2)), sdk: { ok: true, text: "Echo:", finishReason: null } });
    expect(verdict(cut).outcome).toBe("lost");
  });

  it("typed when the SDK raises an APIError over a typed wire; lost for a connection error", () => {
    const typed = obs("sdk-stream", { body: sse(chunk({ content: "The" }), errorEvent), sdk: { ok: false, apiError: true, message: "broke" } });
    expect(verdict(typed).outcome).toBe("typed");
    expect(verdict({ ...typed, sdk: { ok: false, apiError: false, message: "Connection error." } }).why).toMatch(/non-API error/);
    const json = obs("sdk-json", { status: 429, body: JSON.stringify({ error: { message: "slow down", type: "rate_limit_error" } }), sdk: { ok: false, apiError: true, message: "429" } });
    expect(verdict(json).outcome).toBe("typed");
    expect(verdict({ ...json, status: 200, body: completion("Echo: hi"), target: CLOUD }).why).toMatch(/error over a complete answer/);
  });
});

describe("report", () => {
  const r = (outcome: "complete" | "typed" | "lost", ms: number, why = "ok") => ({ mode: "fetch-json" as const, verdict: { outcome, why }, ms });

  it("takes nearest-rank percentiles", () => {
    const ms = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(ms, 50), percentile(ms, 99), percentile([7], 99), percentile([], 50)]).toEqual([50, 99, 7, 0]);
  });

  it("counts outcomes and groups lost requests by symptom, numbers aside", () => {
    const s = summarize("k", [r("complete", 10), r("typed", 20), r("lost", 30, "text truncated: 3 of 9 chars"), r("lost", 40, "text truncated: 5 of 9 chars")]);
    expect(s.counts).toEqual({ complete: 1, typed: 1, lost: 2 });
    expect([s.medianMs, s.p99Ms]).toEqual([20, 40]);
    expect(lostDetails([s])).toBe("k: 2 × fetch-json: text truncated: N of N chars");
    expect(nothingLost([s])).toBe(false);
    expect(nothingLost([summarize("k", [r("complete", 1)])])).toBe(true);
    expect(nothingLost([failedKind("k", "no sidecar")])).toBe(false);
  });

  it("prints one row per kind and a total", () => {
    const lines = table([summarize("offline", [r("complete", 12)]), failedKind("storm", "x")]).split("\n");
    expect(lines[0]).toMatch(/^kind\s+n\s+complete\s+\(at home\)\s+typed\s+lost\s+median ms\s+p99 ms$/);
    expect(lines[2]).toMatch(/^offline\s+1\s+1\s+0\s+0\s+0\s+12\s+12$/);
    expect(lines[3]).toMatch(/^storm \*\s+0\s+0/);
    expect(lostDetails([failedKind("storm", "no sidecar")])).toBe("storm *: setup failed: no sidecar");
    expect(lines.at(-1)).toMatch(/^total\s+1\s+1\s+0\s+0\s+0/);
  });
});

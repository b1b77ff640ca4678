import { describe, expect, it } from "vitest";
import type { RequestRecord } from "./counters.js";
import { homeEvent, liveRequest } from "./live.js";

const base: RequestRecord = {
  at: Date.UTC(2026, 0, 1, 12),
  kind: "code",
  rule: "code-to-cloud",
  served: "openai/gpt-4o-mini",
  error: undefined,
  promptTokens: 12,
  completionTokens: 34,
  trace: [
    { target: "local/qwen", outcome: "failed", reason: "timeout", ms: 1000 },
    { target: "openai/gpt-4o-mini", outcome: "served", reason: "ok", status: 200, ms: 80 },
  ],
  reference: "openai/gpt-4o-mini",
  first: "local/qwen",
  stream: true,
  totalMs: 1500,
  ttftMs: 80,
};

describe("the live feed's request event", () => {
  it("says who served, what was passed over and why, times and tokens", () => {
    expect(liveRequest(base)).toEqual({
      type: "request",
      at: "2026-01-01T12:00:00.000Z",
      kind: "code",
      rule: "code-to-cloud",
      served: "openai/gpt-4o-mini",
      first: "local/qwen",
      ttft_ms: 80,
      prompt_tokens: 12,
      completion_tokens: 34,
      total_ms: 1500,
      outcome: "ok",
      error: null,
      fallbacks: [{ target: "local/qwen", reason: "timeout" }],
      stream: true,
    });
  });

  it.each([
    [{ served: undefined, error: "no_target_available", ttftMs: undefined }, "failed"],
    [{ error: "stream_interrupted" }, "interrupted"],
    [{ served: undefined, error: "client_closed" }, "client_closed"],
  ] as const)("%o → %s", (over, outcome) => {
    const e = liveRequest({ ...base, ...over });
    expect(e.outcome).toBe(outcome);
    expect(e.error).toBe(over.error);
  });
});

describe("the live feed's home event", () => {
  const s = { sidecarId: "box", name: "desk", models: [{ id: "qwen" }], loading: ["qwen"], slots: { total: 2, free: 1 }, queue: { depth: 0, max: 4 }, draining: false, breaker: "closed" };
  it("names models as targets; a disconnect carries only who", () => {
    expect(homeEvent("state", s, 0)).toEqual({
      type: "home",
      event: "state",
      at: "1970-01-01T00:00:00.000Z",
      sidecar: { id: "box", name: "desk", models: ["local/qwen"], loading: ["local/qwen"], slots: { total: 2, free: 1 }, queue: { depth: 0, max: 4 }, draining: false, breaker: "closed" },
    });
    expect(homeEvent("disconnected", s, 0).sidecar).toEqual({ id: "box", name: "desk" });
  });
});

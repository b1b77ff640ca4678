import { describe, expect, it } from "vitest";
import type { PerfSample } from "../routing/perf.js";
import { applyRecord, emptyCounters, type RequestRecord } from "./counters.js";
import type { PriceTable } from "./prices.js";
import { buildReport, type ReportInput, type TargetReport } from "./report.js";

const HOME = "local/echo:latest";
const MINI = "openai/gpt-4o-mini";
const PRICES: PriceTable = { [MINI]: { input: 1, output: 2 } };
const T0 = Date.UTC(2025, 0, 1);

function rec(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    at: T0,
    kind: "chat",
    rule: undefined,
    served: HOME,
    error: undefined,
    promptTokens: 100,
    completionTokens: 50,
    trace: [{ target: HOME, outcome: "served", reason: "ok", status: 200, ms: 40 }],
    reference: MINI,
    first: HOME,
    stream: false,
    totalMs: 50,
    ...over,
  };
}

const homeAnswer = rec();
const fellBack = rec({
  served: MINI,
  promptTokens: 10,
  completionTokens: 20,
  trace: [
    { target: HOME, outcome: "failed", reason: "error", ms: 5 },
    { target: MINI, outcome: "served", reason: "ok", status: 200, ms: 300 },
  ],
});
const cloudAnswer = rec({ served: MINI, first: MINI, promptTokens: 1, completionTokens: 2, trace: [{ target: MINI, outcome: "served", reason: "ok", status: 200, ms: 200 }] });
const failure = rec({ served: undefined, error: "no_target_available", trace: [{ target: MINI, outcome: "failed", reason: "http_400", status: 400, ms: 3 }] });

const ok = (ttftMs: number, tokensPerSecond?: number): PerfSample => ({ at: T0, ok: true, ttftMs, ...(tokensPerSecond ? { tokensPerSecond } : {}) });

function input(records: RequestRecord[], over: Partial<ReportInput> = {}): ReportInput {
  const counters = records.reduce((c, r) => applyRecord(c, r, PRICES), emptyCounters(T0));
  return { counters, windows: {}, breakers: {}, sidecars: [], minSamples: 20, now: T0 + 90_000, ...over };
}


const targetOf = (report: ReturnType<typeof buildReport>, id: string) => report.targets[id];

describe("buildReport", () => {
  it("an empty report: zeros, no targets, a local share of 0 (not NaN)", () => {
    const r = buildReport(input([]));
    expect(r).toMatchObject({
      object: "hearth.stats",
      since: "2025-01-01T00:00:00.000Z",
      requests: { total: 0, served: 0, failed: 0, fell_back: 0 },
      local_share: 0,
      tokens: { prompt: 0, completion: 0 },
      targets: {},
      fallbacks: {},
      cost: { avoided_usd: 0, cloud_usd: 0, unpriced_local_requests: 0 },
      sidecars: [],
    });
  });

  it("adds up: served + failed = total, the targets' served = served, tokens = the targets' tokens", () => {
    const r = buildReport(input([homeAnswer, homeAnswer, fellBack, cloudAnswer, failure]));
    expect(r.requests).toEqual({ total: 5, served: 4, failed: 1, fell_back: 1, interrupted: 0 });
    const targets = Object.keys(r.targets).map((id) => targetOf(r, id) as TargetReport);
    expect(targets.reduce((n, t) => n + t.served, 0)).toBe(r.requests.served);
    expect(r.tokens).toEqual({ prompt: 100 + 100 + 10 + 1, completion: 50 + 50 + 20 + 2 });
    expect(r.tokens.prompt).toBe(targets.reduce((n, t) => n + t.prompt_tokens, 0));
    expect(r.fallbacks).toEqual({ error: 1, http_400: 1 });
    expect(r.kinds).toEqual({ chat: 5 });
  });

  // [records, local share]
  it.each([
    [[homeAnswer], 1],
    [[fellBack], 0],
    [[homeAnswer, fellBack], 0.5],
    [[homeAnswer, homeAnswer, cloudAnswer], 0.6667],
    // Failed requests are not in the share: it is of the answers.
    [[homeAnswer, failure], 1],
    [[failure], 0],
  ])("local share of %# is home answers over answers", (records, share) => {
    expect(buildReport(input(records)).local_share).toBe(share);
  });

  it("per target: counters, reasons, cost for cloud targets only", () => {
    const r = buildReport(input([homeAnswer, fellBack, cloudAnswer]));
    expect(targetOf(r, HOME)).toMatchObject({ served: 1, failed: 1, skipped: 0, prompt_tokens: 100, completion_tokens: 50, reasons: { error: 1 } });
    expect(targetOf(r, HOME)).not.toHaveProperty("cost_usd");
    expect(targetOf(r, MINI)).toMatchObject({ served: 2, prompt_tokens: 11, completion_tokens: 22, cost_usd: (11 * 1 + 22 * 2) / 1e6 });
  });

  it("cost: avoided at the reference price, cloud spend, unpriced home answers", () => {
    const r = buildReport(input([homeAnswer, rec({ reference: undefined }), cloudAnswer]));
    expect(r.cost).toEqual({ avoided_usd: (100 * 1 + 50 * 2) / 1e6, cloud_usd: (1 * 1 + 2 * 2) / 1e6, unpriced_local_requests: 1 });
  });

  it("cost rounds to a millionth of a dollar", () => {
    const r = buildReport(input([rec({ promptTokens: 1, completionTokens: 0 })]));
    expect(r.cost.avoided_usd).toBe(0.000001);
    expect(buildReport(input([rec({ promptTokens: 0, completionTokens: 0 })])).cost.avoided_usd).toBe(0);
  });

  it("windows: percentiles of time to first token and speed, rounded, shown before there are enough to steer routing", () => {
    const windows = { [HOME]: [ok(100.04, 30), ok(200, 40), ok(300.26, 50), { at: T0, ok: false, reason: "timeout", ttftMs: 1_000 }] };
    const r = buildReport(input([homeAnswer], { windows, minSamples: 20 }));
    expect(targetOf(r, HOME)?.window).toEqual({
      samples: 4,
      error_rate: 0.25,
      ttft_ms: { p50: 200, p90: 1_000, p99: 1_000 },
      tokens_per_second: { p50: 40, p90: 50, p99: 50 },
    });
    expect(buildReport(input([homeAnswer], { windows: { [HOME]: [ok(100.04)] } })).targets[HOME]).toMatchObject({ window: { ttft_ms: { p50: 100 } } });
  });

  it("a target with samples but no counted request yet (home as a whole) is listed, with zeros", () => {
    const r = buildReport(input([], { windows: { local: [ok(80)] } }));
    expect(targetOf(r, "local")).toMatchObject({ served: 0, failed: 0, skipped: 0, prompt_tokens: 0, window: { samples: 1, ttft_ms: { p50: 80 } } });
    expect(r.local_share).toBe(0);
  });

  it("a target with no samples has null percentiles", () => {
    expect(targetOf(buildReport(input([homeAnswer])), HOME)?.window).toEqual({ samples: 0, error_rate: 0, ttft_ms: null, tokens_per_second: null });
  });

  it("breakers: shown on the targets that have one", () => {
    const r = buildReport(input([cloudAnswer, homeAnswer], { breakers: { [MINI]: "open" } }));
    expect(targetOf(r, MINI)?.breaker).toBe("open");
    expect(targetOf(r, HOME)).not.toHaveProperty("breaker");
  });

  it("sidecars: uptime in whole seconds from the connection, models, home's breaker", () => {
    const r = buildReport(
      input([], {
        now: T0 + 90_400,
        sidecars: [
          { sidecarId: "sc-1", name: "desk", connectedAt: T0, models: ["echo:latest", "other"], breaker: "closed" },
          // A clock a little behind another's must not show negative uptime.
          { sidecarId: "sc-2", name: undefined, connectedAt: T0 + 91_000, models: [], breaker: "open" },
        ],
      }),
    );
    expect(r.sidecars).toEqual([
      { id: "sc-1", name: "desk", connected_at: "2025-01-01T00:00:00.000Z", uptime_seconds: 90, models: ["echo:latest", "other"], breaker: "closed" },
      { id: "sc-2", name: null, connected_at: "2025-01-01T00:01:31.000Z", uptime_seconds: 0, models: [], breaker: "open" },
    ]);
  });

  it("never holds text from the request: only ids, reasons and numbers", () => {
    // The only string values are the document's own; everything from requests is a key or a number.
    const r = buildReport(input([rec({ kind: "code", rule: "my-rule" }), fellBack, failure], { windows: { [HOME]: [ok(10)] } }));
    const json = JSON.stringify(r);
    const strings: string[] = [];
    JSON.parse(json, (key: string, value: unknown) => {
      if (typeof value === "string") strings.push(value);
      return value;
    });
    expect(strings.sort()).toEqual(["2025-01-01T00:00:00.000Z", "hearth.stats"]);
  });
});

import { describe, expect, it } from "vitest";
import type { AttemptSummary } from "../errors.js";
import { applyRecord, cloudSamples, emptyCounters, isLocalTarget, unservedCosts, type Counters, type RequestRecord } from "./counters.js";
import type { PriceTable } from "./prices.js";

const HOME = "local/echo:latest";
const MINI = "openai/gpt-4o-mini";
const CLAUDE = "anthropic/claude-x";
/** Round numbers: USD per million tokens. */
const PRICES: PriceTable = { [MINI]: { input: 1, output: 2 } };

const served = (target: string, ms = 100): AttemptSummary => ({ target, outcome: "served", reason: "ok", status: 200, ms });
const failed = (target: string, reason: string, ms = 10, status?: number): AttemptSummary => ({ target, outcome: "failed", reason, ms, ...(status ? { status } : {}) });
const skipped = (target: string, reason: string): AttemptSummary => ({ target, outcome: "skipped", reason });
const cancelled = (target: string, ms = 50): AttemptSummary => ({ target, outcome: "cancelled", reason: "hedge_lost", ms });

/** A request served at home, first try, with gpt-4o-mini as the plan's cloud target; override as needed. */
function rec(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    at: 1_000,
    kind: undefined,
    rule: undefined,
    served: HOME,
    error: undefined,
    promptTokens: 100,
    completionTokens: 50,
    trace: [served(HOME)],
    reference: MINI,
    first: HOME,
    stream: false,
    totalMs: 120,
    ...over,
  };
}

const apply = (...records: RequestRecord[]): Counters => records.reduce((c, r) => applyRecord(c, r, PRICES), emptyCounters(0));

describe("applyRecord: totals", () => {
  // [case, records, requests, served, failed, fellBack]
  const cases: [string, RequestRecord[], number, number, number, number][] = [
    ["nothing yet", [], 0, 0, 0, 0],
    ["one home answer", [rec()], 1, 1, 0, 0],
    ["home fails, the cloud answers", [rec({ served: MINI, trace: [failed(HOME, "error"), served(MINI)] })], 1, 1, 0, 1],
    ["home offline, the cloud answers", [rec({ served: MINI, first: "local", trace: [skipped("local", "offline"), served(MINI)] })], 1, 1, 0, 1],
    ["a target that answers on its retry did not fall back", [rec({ served: MINI, first: MINI, trace: [failed(MINI, "http_500", 5, 500), served(MINI)] })], 1, 1, 0, 0],
    ["home wins its hedge: the cancelled cloud backup is no fallback", [rec({ trace: [cancelled(MINI), served(HOME)] })], 1, 1, 0, 0],
    ["the cloud wins the hedge: fell back from home", [rec({ served: MINI, trace: [cancelled(HOME), served(MINI)] })], 1, 1, 0, 1],
    ["every target fails", [rec({ served: undefined, error: "no_target_available", trace: [failed(HOME, "error"), failed(MINI, "http_400", 5, 400)] })], 1, 0, 1, 0],
    ["an error before any target", [rec({ served: undefined, error: "no_target_available", trace: [] })], 1, 0, 1, 0],
    [
      "a mix",
      [rec(), rec({ served: MINI, trace: [failed(HOME, "error"), served(MINI)] }), rec({ served: undefined, error: "upstream_error", trace: [failed(MINI, "http_400")] }), rec()],
      4,
      3,
      1,
      1,
    ],
  ];
  it.each(cases)("%s", (_, records, requests, servedN, failedN, fellBack) => {
    const c = apply(...records);
    expect({ requests: c.requests, served: c.served, failed: c.failed, fellBack: c.fellBack }).toEqual({ requests, served: servedN, failed: failedN, fellBack });
    expect(c.served + c.failed).toBe(c.requests);
  });

  it("counts kinds and rules", () => {
    const c = apply(rec({ kind: "code", rule: "code-to-cloud" }), rec({ kind: "code" }), rec({ kind: "chat", rule: "code-to-cloud" }), rec());
    expect(c.kinds).toEqual({ code: 2, chat: 1 });
    expect(c.rules).toEqual({ "code-to-cloud": 2 });
  });

  it("keeps `since` and returns the counters it was given", () => {
    const c = emptyCounters(42);
    expect(applyRecord(c, rec(), PRICES)).toBe(c);
    expect(c.since).toBe(42);
  });
});

describe("applyRecord: per target", () => {
  it("tokens go to the target that served; failures and skips to theirs, with their reasons", () => {
    const c = apply(
      rec({ promptTokens: 10, completionTokens: 5 }),
      rec({ served: MINI, promptTokens: 20, completionTokens: 7, trace: [failed(HOME, "error"), served(MINI)] }),
      rec({ served: MINI, first: "local", promptTokens: 1, completionTokens: 1, trace: [skipped("local", "offline"), served(MINI)] }),
      rec({ served: undefined, error: "no_target_available", promptTokens: 0, completionTokens: 0, trace: [failed(HOME, "timeout"), failed(MINI, "http_400")] }),
    );
    expect(c.byTarget[HOME]).toMatchObject({ served: 1, failed: 2, skipped: 0, promptTokens: 10, completionTokens: 5, reasons: { error: 1, timeout: 1 } });
    expect(c.byTarget[MINI]).toMatchObject({ served: 2, failed: 1, skipped: 0, promptTokens: 21, completionTokens: 8, reasons: { http_400: 1 } });
    expect(c.byTarget.local).toMatchObject({ served: 0, failed: 0, skipped: 1, promptTokens: 0, reasons: { offline: 1 } });
    const servedSum = Object.values(c.byTarget).reduce((n, t) => n + t.served, 0);
    expect(servedSum).toBe(c.served);
  });

  it("a failed request's usage is not counted as anyone's tokens", () => {
    const c = apply(rec({ served: undefined, error: "no_target_available", trace: [failed(HOME, "error")] }));
    expect(c.byTarget[HOME]).toMatchObject({ served: 0, promptTokens: 0, completionTokens: 0 });
  });

  it("every failed attempt counts on its target, retries included", () => {
    const c = apply(rec({ served: CLAUDE, first: MINI, trace: [failed(MINI, "http_500"), failed(MINI, "http_500"), failed(MINI, "http_503"), served(CLAUDE)] }));
    expect(c.byTarget[MINI]).toMatchObject({ failed: 3, reasons: { http_500: 2, http_503: 1 } });
  });
});

describe("applyRecord: fallbacks by reason", () => {
  // [case, trace and outcome, fallbacks]
  const cases: [string, Partial<RequestRecord>, Record<string, number>][] = [
    ["none when the first target answers", {}, {}],
    ["home's error", { served: MINI, trace: [failed(HOME, "error"), served(MINI)] }, { error: 1 }],
    ["home skipped, offline", { served: MINI, first: "local", trace: [skipped("local", "offline"), served(MINI)] }, { offline: 1 }],
    ["two targets passed over", { served: CLAUDE, trace: [failed(HOME, "timeout"), failed(MINI, "http_429", 5, 429), served(CLAUDE)] }, { timeout: 1, http_429: 1 }],
    ["a target's retries are one fallback, by its last reason", { served: CLAUDE, first: MINI, trace: [failed(MINI, "http_500"), failed(MINI, "http_500"), failed(MINI, "http_503"), served(CLAUDE)] }, { http_503: 1 }],
    ["a retry that then answered is none", { served: MINI, first: MINI, trace: [failed(MINI, "http_500"), served(MINI)] }, {}],
    ["home lost the hedge", { served: MINI, trace: [cancelled(HOME), served(MINI)] }, { hedge_lost: 1 }],
    ["home won the hedge", { trace: [cancelled(MINI), served(HOME)] }, {}],
    ["every target of a failed request", { served: undefined, error: "no_target_available", trace: [failed(HOME, "error"), skipped(MINI, "policy_local_only")] }, { error: 1, policy_local_only: 1 }],
  ];
  it.each(cases)("%s", (_, over, fallbacks) => {
    expect(apply(rec(over)).fallbacks).toEqual(fallbacks);
  });

  it("add up over requests", () => {
    const fell = rec({ served: MINI, trace: [failed(HOME, "error"), served(MINI)] });
    expect(apply(fell, fell, rec(), rec({ served: MINI, first: "local", trace: [skipped("local", "offline"), served(MINI)] })).fallbacks).toEqual({ error: 2, offline: 1 });
  });
});

describe("applyRecord: cost", () => {
  it("a home answer saves what its reference cloud target would have cost", () => {
    const c = apply(rec({ promptTokens: 1_000, completionTokens: 500 }), rec({ promptTokens: 3_000, completionTokens: 1_500 }));
    // 4,000 in at $1/M and 2,000 out at $2/M.
    expect(c.costAvoidedUsd).toBeCloseTo((4_000 * 1 + 2_000 * 2) / 1e6, 12);
    expect(c.unpricedLocal).toBe(0);
    expect(c.cloudCostUsd).toBe(0);
  });

  it("the reference is priced by prefix, as a dated snapshot", () => {
    const c = apply(rec({ reference: `${MINI}-2024-07-18`, promptTokens: 1_000_000, completionTokens: 0 }));
    expect(c.costAvoidedUsd).toBeCloseTo(1, 12);
  });

  // [case, reference]
  it.each([
    ["no cloud target in the plan (local_only)", undefined],
    ["a cloud target with no price", CLAUDE],
  ])("a home answer with %s is counted as unpriced, not as free", (_, reference) => {
    const c = apply(rec({ reference }), rec());
    expect(c.unpricedLocal).toBe(1);
    expect(c.costAvoidedUsd).toBeCloseTo((100 * 1 + 50 * 2) / 1e6, 12);
  });

  it("a cloud answer costs its own target's price, on the target and in total", () => {
    const c = apply(rec({ served: MINI, first: MINI, trace: [served(MINI)], promptTokens: 2_000, completionTokens: 1_000 }), rec({ served: CLAUDE, first: CLAUDE, trace: [served(CLAUDE)] }));
    expect(c.cloudCostUsd).toBeCloseTo((2_000 + 2_000) / 1e6, 12);
    expect(c.byTarget[MINI]?.costUsd).toBeCloseTo(4_000 / 1e6, 12);
    // Unpriced cloud answers cost nothing in the estimate (and are not "unpriced local").
    expect(c.byTarget[CLAUDE]?.costUsd).toBe(0);
    expect(c.unpricedLocal).toBe(0);
    expect(c.costAvoidedUsd).toBe(0);
  });

  it("failed requests cost and save nothing", () => {
    const c = apply(rec({ served: undefined, error: "no_target_available", trace: [failed(MINI, "http_400")], promptTokens: 1_000, completionTokens: 1_000 }));
    expect([c.costAvoidedUsd, c.cloudCostUsd, c.unpricedLocal]).toEqual([0, 0, 0]);
  });
});

describe("cloudSamples", () => {
  it("none for a home answer or for targets only skipped", () => {
    expect(cloudSamples(rec())).toEqual([]);
    expect(cloudSamples(rec({ served: undefined, trace: [failed(HOME, "error"), skipped(MINI, "not_configured"), skipped(CLAUDE, "breaker_open")] }))).toEqual([]);
  });

  it("one sample per cloud target per request: its last attempt", () => {
    const r = rec({ at: 7, served: CLAUDE, trace: [failed(MINI, "http_500", 5, 500), failed(MINI, "http_503", 6, 503), served(CLAUDE, 200)] });
    const samples = cloudSamples(r);
    expect(samples.map(([t]) => t)).toEqual([MINI, CLAUDE]);
    expect(samples[0]).toEqual([MINI, { at: 7, ok: false, reason: "http_503" }]);
    expect(samples[1]?.[1]).toMatchObject({ at: 7, ok: true, ttftMs: 200 });
  });

  it("a retry that then answered is one good sample", () => {
    const samples = cloudSamples(rec({ served: MINI, trace: [failed(MINI, "http_500"), served(MINI, 80)] }));
    expect(samples).toHaveLength(1);
    expect(samples[0]?.[1]).toMatchObject({ ok: true, ttftMs: 80 });
  });

  it("a hedge's cancelled loser is no sample, and home is never one", () => {
    expect(cloudSamples(rec({ trace: [cancelled(MINI), served(HOME)] }))).toEqual([]);
    const won = cloudSamples(rec({ served: MINI, trace: [cancelled(HOME), served(MINI)] }));
    expect(won.map(([t]) => t)).toEqual([MINI]);
    expect(won.every(([t]) => !isLocalTarget(t))).toBe(true);
  });

  it("a timeout is a failed sample at its deadline; other failures carry no time", () => {
    const [timeout] = cloudSamples(rec({ served: undefined, trace: [failed(MINI, "timeout", 30_000)] }));
    expect(timeout).toEqual([MINI, { at: 1_000, ok: false, reason: "timeout", ttftMs: 30_000 }]);
    const [other] = cloudSamples(rec({ served: undefined, trace: [failed(MINI, "connection", 12)] }));
    expect(other?.[1]).not.toHaveProperty("ttftMs");
  });

  // [case, record, ttftMs, tokensPerSecond (undefined: none)]
  const speeds: [string, Partial<RequestRecord>, number, number | undefined][] = [
    ["non-streaming: tokens over the answer's time", { served: MINI, stream: false, completionTokens: 50, totalMs: 500, trace: [served(MINI, 500)] }, 500, 100],
    ["streaming: tokens over the time after the first token", { served: MINI, stream: true, completionTokens: 50, totalMs: 600, trace: [served(MINI, 100)] }, 100, 100],
    // Home's failed attempt (1 s) is not the cloud's generation time.
    ["streaming after a fallback", { served: MINI, stream: true, completionTokens: 50, totalMs: 1_600, trace: [failed(HOME, "timeout", 1_000), served(MINI, 100)] }, 100, 100],
    ["non-streaming after a fallback", { served: MINI, stream: false, completionTokens: 50, totalMs: 1_500, trace: [failed(HOME, "error", 1_000), served(MINI, 500)] }, 500, 100],
    ["rounded to a tenth", { served: MINI, stream: false, completionTokens: 10, totalMs: 300, trace: [served(MINI, 300)] }, 300, 33.3],
    ["no tokens: no speed", { served: MINI, stream: false, completionTokens: 0, totalMs: 300, trace: [served(MINI, 300)] }, 300, undefined],
    ["no time after the first token: no speed", { served: MINI, stream: true, completionTokens: 5, totalMs: 100, trace: [served(MINI, 100)] }, 100, undefined],
  ];
  it.each(speeds)("%s", (_, over, ttftMs, tps) => {
    const [sample] = cloudSamples(rec(over));
    expect(sample?.[1].ttftMs).toBe(ttftMs);
    expect(sample?.[1].tokensPerSecond).toBe(tps);
  });
});

describe("isLocalTarget", () => {
  it.each([
    ["local", true],
    [HOME, true],
    [MINI, false],
    ["localhost/x", false],
  ])("%s → %s", (id, local) => expect(isLocalTarget(id)).toBe(local));
});

describe("interrupted and cancelled", () => {
  const prices = { "openai/gpt-4o-mini": { input: 1, output: 2 } };
  const base: RequestRecord = {
    at: 1,
    kind: "chat",
    rule: undefined,
    served: "local/m",
    error: undefined,
    promptTokens: 10,
    completionTokens: 5,
    trace: [{ target: "local/m", outcome: "served", reason: "ok", ms: 5 }],
    reference: "openai/gpt-4o-mini",
    first: "local/m",
    stream: true,
    totalMs: 50,
  };
  it("a stream that broke after it started is served and interrupted; a client leaving is not", () => {
    const c = emptyCounters(0);
    applyRecord(c, { ...base, error: "stream_interrupted" }, prices);
    applyRecord(c, { ...base, error: "client_closed" }, prices);
    expect(c.served).toBe(2);
    expect(c.interrupted).toBe(1);
    expect(c.byTarget["local/m"]?.reasons).toEqual({ stream_interrupted: 1 });
  });
  it("a hedge's loser counts as cancelled on its target, not skipped", () => {
    const c = applyRecord(emptyCounters(0), {
      ...base,
      trace: [{ target: "openai/gpt-4o-mini", outcome: "cancelled", reason: "hedge_lost", ms: 9 }, base.trace[0] as RequestRecord["trace"][number]],
    }, prices);
    expect(c.byTarget["openai/gpt-4o-mini"]).toMatchObject({ cancelled: 1, skipped: 0, failed: 0 });
  });
});

describe("what cloud attempts that did not serve still cost", () => {
  const broken = (target: string): AttemptSummary => ({ target, outcome: "broken", reason: "stream_cut", ms: 80 });
  it("a hedge's stopped loser and a broken answer are billed their prompt; failures before an answer and home are not", () => {
    // 1M prompt tokens at $1/M input: $1 for each billed attempt.
    const r = rec({ promptTokens: 1_000_000, completionTokens: 0, trace: [cancelled(MINI), failed(MINI, "http_429", 5, 429), broken(MINI), broken(HOME), served(HOME)] });
    expect(unservedCosts(PRICES, r)).toEqual([
      [MINI, 1],
      [MINI, 1],
    ]);
    const c = apply(r);
    expect(c.cloudCostUsd).toBe(2);
    expect(c.byTarget[MINI]?.costUsd).toBe(2);
  });
  it("the served target's own entries are not counted twice, and an unpriced target costs nothing known", () => {
    const r = rec({ served: MINI, trace: [broken(MINI), served(MINI)], promptTokens: 1_000_000, completionTokens: 0 });
    expect(unservedCosts(PRICES, r)).toEqual([]);
    expect(unservedCosts(PRICES, rec({ trace: [cancelled(CLAUDE), served(HOME)] }))).toEqual([]);
  });
  it("a request nobody answered still pays for the answer that broke", () => {
    const c = apply(rec({ served: undefined, error: "stream_interrupted", promptTokens: 500_000, trace: [broken(MINI)] }));
    expect(c.cloudCostUsd).toBe(0.5);
    expect(c.failed).toBe(1);
  });
});

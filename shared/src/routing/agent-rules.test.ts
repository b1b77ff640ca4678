/**
 * The coding-agent defaults that need more than the shape: a compaction goes to the cheapest target
 * whose context holds it (home free, then the cloud by price and window), and a main turn goes out
 * when home's tool-call record is poor (the record the checks of home's answers keep; unknown by default).
 */
import { describe, expect, it } from "vitest";
import type { LocalModel } from "../tunnel/protocol.js";
import { cheapestFirst } from "./cheapest.js";
import { CONTEXT_WINDOWS, contextWindowOf } from "./context-windows.js";
import type { SidecarView } from "./local.js";
import { plan, type PlanInput, type RouteFeatures } from "./planner.js";
import { DEFAULT_PRICES } from "../stats/prices.js";
import { ruleSchema } from "./rules.js";
import { homeToolsFact, TOOL_RECORD_MIN_CHECKED } from "./tool-record.js";
import type { ProviderId } from "./targets.js";

const model = (id: string, over: Partial<LocalModel> = {}): LocalModel => ({ id, backend: "llama-cpp", contextLength: 8192, loaded: true, tools: false, tokensPerSecond: 0, ...over });
const home = (models: LocalModel[]): SidecarView[] => [
  { sidecarId: "box", state: { models, slots: { total: 2, free: 2 }, queue: { depth: 0, max: 2 }, loading: [], freeMemoryBytes: 16e9, draining: false }, inflight: 0, breakerAllows: true },
];
const AUTO = ["anthropic/claude-sonnet-4-5", "openai/gpt-4.1-mini", "openai/gpt-4o-mini"];
const input = (features: Partial<RouteFeatures>, over: Partial<PlanInput> = {}): PlanInput => ({
  model: "auto",
  features: { kind: "extraction", complexity: 0.2, promptTokens: 6000, reserveTokens: 1024, tools: false, images: false, json: false, metadata: {}, ...features },
  policy: { mode: "hybrid" },
  privateRequest: false,
  deploymentAutoTargets: AUTO,
  configured: new Set<ProviderId>(["openai", "anthropic", "local"]),
  sidecars: home([model("llama3.1:8b")]),
  perf: {},
  openBreakers: new Set(),
  deadlines: { cloudMs: 30_000, localMs: 10_000 },
  ...over,
});
const ids = (i: PlanInput) => plan(i).targets.map((t) => t.id);

describe("compaction: the cheapest target whose context holds it", () => {
  it("home first when it fits (free), then the cloud cheapest first", () => {
    const p = plan(input({ shape: "compaction", promptTokens: 6000 }));
    expect(p.rule?.name).toBe("agent-compaction-cheapest");
    expect(p.targets.map((t) => t.id)).toEqual(["local/llama3.1:8b", "openai/gpt-4o-mini", "openai/gpt-4.1-mini", "anthropic/claude-sonnet-4-5"]);
    expect(p.notes[0]).toMatch(/^cloud ordered cheapest first whose context holds ~7024 tokens: openai\/gpt-4o-mini ~\$0\.0015, /);
  });

  it("too long for home: the cheapest cloud target that holds it; smaller windows go last", () => {
    expect(ids(input({ shape: "compaction", promptTokens: 60_000 }))).toEqual(["openai/gpt-4o-mini", "openai/gpt-4.1-mini", "anthropic/claude-sonnet-4-5"]);
    // 150k: beyond gpt-4o-mini's 128k, within gpt-4.1-mini's 1M and Sonnet's 200k.
    const p = plan(input({ shape: "compaction", promptTokens: 150_000 }));
    expect(p.targets.map((t) => t.id)).toEqual(["openai/gpt-4.1-mini", "anthropic/claude-sonnet-4-5", "openai/gpt-4o-mini"]);
    expect(p.notes[0]).toContain("context too small, tried last: openai/gpt-4o-mini");
    expect(p.skipped).toEqual([{ target: "local", outcome: "skipped", reason: "context_too_long" }]);
    // 300k: only gpt-4.1-mini holds it.
    expect(ids(input({ shape: "compaction", promptTokens: 300_000 }))[0]).toBe("openai/gpt-4.1-mini");
  });

  it("home offline: the cheapest cloud; the deployment's prices decide; a bigger home model holds more", () => {
    expect(ids(input({ shape: "compaction" }, { sidecars: [] }))[0]).toBe("openai/gpt-4o-mini");
    const prices = { ...DEFAULT_PRICES, "anthropic/claude-sonnet-4": { input: 0.01, output: 0.01 } };
    expect(ids(input({ shape: "compaction", promptTokens: 60_000 }, { prices }))[0]).toBe("anthropic/claude-sonnet-4-5");
    expect(ids(input({ shape: "compaction", promptTokens: 60_000 }, { sidecars: home([model("qwen2.5:7b", { contextLength: 131_072 })]) }))[0]).toBe("local/qwen2.5:7b");
  });

  it("is not applied to other requests: a long plain prompt keeps the listed cloud order", () => {
    const p = plan(input({ promptTokens: 60_000 }));
    expect(p.rule?.name).toBe("too-long-for-home");
    expect(p.targets.map((t) => t.id)).toEqual(AUTO);
  });

  it("is a rule action and a policy order anyone can use; a bad value names the field", () => {
    const rules = [{ name: "cheap-extraction", when: { kind: ["extraction" as const] }, then: { route: "cloud" as const, cloudOrder: "cheapest" as const } }];
    expect(ids(input({}, { policy: { mode: "hybrid", rules } }))).toEqual(["openai/gpt-4o-mini", "openai/gpt-4.1-mini", "anthropic/claude-sonnet-4-5", "local/llama3.1:8b"]);
    expect(ids(input({ promptTokens: 60_000 }, { policy: { mode: "hybrid", order: "cheapest" } }))[0]).toBe("openai/gpt-4o-mini");
    expect(ruleSchema.safeParse({ name: "x", when: {}, then: { route: "cloud", cloudOrder: "priciest" } }).error?.issues[0]?.path).toEqual(["then", "cloudOrder"]);
  });
});

describe("cloud context windows and cheapest order", () => {
  it("a dated snapshot takes its family's window; an unknown model is unknown", () => {
    expect(contextWindowOf("anthropic/claude-sonnet-4-5-20250929")).toBe(200_000);
    expect(contextWindowOf("openai/gpt-4.1-nano")).toBe(1_047_576);
    expect(contextWindowOf("openai/gpt-4o-mini-2024-07-18")).toBe(128_000);
    expect(contextWindowOf("openai/gpt-9")).toBeUndefined();
  });

  it("every default auto target and every priced chat model has a known window", () => {
    for (const id of [...AUTO, ...Object.keys(DEFAULT_PRICES).filter((k) => !k.includes("embedding"))]) expect(contextWindowOf(id), id).toBeGreaterThan(100_000);
    expect(Object.values(CONTEXT_WINDOWS).every((w) => Number.isInteger(w))).toBe(true);
  });

  it("unpriced targets come after priced ones, ties keep the listed order", () => {
    const got = cheapestFirst(["openai/gpt-9", "openai/gpt-4o", "openai/gpt-4o-2024-08-06"], { prices: DEFAULT_PRICES, promptTokens: 100, answerTokens: 100 });
    expect(got.ordered).toEqual(["openai/gpt-4o", "openai/gpt-4o-2024-08-06", "openai/gpt-9"]);
    expect(got.note).toContain("openai/gpt-9 (no price)");
  });
});

describe("main agent turns and home's tool-call record", () => {
  const toolHome = home([model("qwen2.5:7b", { tools: true }), model("llama3.1:70b", { tools: false })]);
  const main = (over: Partial<PlanInput>) => plan(input({ shape: "main", tools: true, kind: "code", homeRiskLogit: -3 }, { sidecars: toolHome, policy: { mode: "hybrid", rules: [{ name: "code-home", when: { kind: ["code"] }, then: { route: "local" } }] }, ...over }));

  it("a poor record sends a main turn out, and the rule says whose record and how poor", () => {
    const p = main({ toolRecord: { "qwen2.5:7b": { checked: 20, passed: 12 } }, policy: { mode: "hybrid" } });
    expect(p.rule).toEqual({ name: "agent-main-tools-unreliable-to-cloud", why: ["agent shape main", "home tool calls 0.60 passed (qwen2.5:7b, 20 checked) < 0.9"] });
    expect(p.targets[0]?.provider).not.toBe("local");
  });

  it("unknown is not poor: no record, too few checked, or a good record leave it to the other rules", () => {
    const rule = (toolRecord?: PlanInput["toolRecord"]) => plan(input({ shape: "main", tools: true, homeRiskLogit: -3 }, { sidecars: toolHome, ...(toolRecord ? { toolRecord } : {}) })).rule?.name;
    expect(rule()).toBe("simple-at-home");
    expect(rule({ "qwen2.5:7b": { checked: TOOL_RECORD_MIN_CHECKED - 1, passed: 0 } })).toBe("simple-at-home");
    expect(rule({ "qwen2.5:7b": { checked: 40, passed: 38 } })).toBe("simple-at-home");
    // The record is the tool-capable model's (qwen), not the larger model without tools.
    expect(rule({ "llama3.1:70b": { checked: 40, passed: 0 } })).toBe("simple-at-home");
    expect(main({}).rule?.name).toBe("code-home");
  });

  it("the fact is the tool-capable home model's pass rate once enough answers were checked", () => {
    expect(homeToolsFact(toolHome, { "qwen2.5:7b": { checked: 10, passed: 9 } })).toEqual({ model: "qwen2.5:7b", passRate: 0.9, checked: 10 });
    expect(homeToolsFact(home([model("a:7b")]), { "a:7b": { checked: 10, passed: 9 } })).toBeUndefined();
    expect(homeToolsFact(toolHome, undefined)).toBeUndefined();
  });
});

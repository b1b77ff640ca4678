import { describe, expect, it } from "vitest";
import type { LocalModel } from "../tunnel/protocol.js";
import { cloudShareThreshold } from "../risk/calibration.js";
import { sizeShift } from "../risk/size.js";
import type { SidecarView } from "./local.js";
import { plan, type PlanInput, type RouteFeatures } from "./planner.js";
import { routingPolicySchema, type RoutingPolicy } from "./policy.js";
import { homeModelFor } from "./risk-facts.js";
import { ruleSchema } from "./rules.js";
import type { ProviderId } from "./targets.js";

const model = (id: string, over: Partial<LocalModel> = {}): LocalModel => ({ id, backend: "llama-cpp", contextLength: 8192, loaded: true, tools: false, tokensPerSecond: 0, ...over });
const home = (models: LocalModel[]): SidecarView[] => [
  { sidecarId: "box", state: { models, slots: { total: 2, free: 2 }, queue: { depth: 0, max: 2 }, loading: [], freeMemoryBytes: 16e9, draining: false }, inflight: 0, breakerAllows: true },
];
const feats = (over: Partial<RouteFeatures> = {}): RouteFeatures => ({ kind: "chat", complexity: 0.1, promptTokens: 20, reserveTokens: 256, tools: false, images: false, json: false, metadata: {}, ...over });
const input = (features: Partial<RouteFeatures>, policy: RoutingPolicy, over: Partial<PlanInput> = {}): PlanInput => ({
  model: "auto",
  features: feats(features),
  policy: { mode: "hybrid", ...policy },
  privateRequest: false,
  deploymentAutoTargets: ["openai/gpt-4.1-mini"],
  configured: new Set<ProviderId>(["openai", "local"]),
  sidecars: home([model("llama3.1:8b")]),
  perf: {},
  openBreakers: new Set(),
  deadlines: { cloudMs: 30_000, localMs: 10_000 },
  ...over,
});
const first = (i: PlanInput): string | undefined => plan(i).targets[0]?.provider;

describe("cloudShare", () => {
  const t20 = cloudShareThreshold(20);

  it("sends a request at or above the share's threshold out, and keeps the rest home, whatever its kind", () => {
    const risky = plan(input({ homeRiskLogit: t20 + 0.01 }, { cloudShare: 20 }));
    expect(risky.rule?.name).toBe("riskiest-to-cloud");
    expect(risky.targets[0]?.provider).toBe("openai");
    expect(risky.risk?.riskiest).toBe(true);
    // Code below the threshold stays home under a cloud share (code-to-cloud gives way).
    const code = plan(input({ homeRiskLogit: t20 - 0.01, kind: "code", complexity: 0.9 }, { cloudShare: 20 }));
    expect(code.targets[0]?.provider).toBe("local");
    expect(code.risk?.riskiest).toBe(false);
  });

  it("without a cloud share the kind rules decide as before", () => {
    expect(plan(input({ homeRiskLogit: 5, kind: "code" }, {})).rule?.name).toBe("code-to-cloud");
    expect(plan(input({ homeRiskLogit: 5 }, {})).risk?.riskiest).toBe(false);
  });

  it("is validated: 0–100", () => {
    expect(routingPolicySchema.safeParse({ cloudShare: 20 }).success).toBe(true);
    const bad = routingPolicySchema.safeParse({ cloudShare: 120 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(["cloudShare"]);
  });
});

describe("home risk in rules", () => {
  const rules: RoutingPolicy["rules"] = [{ name: "risky-out", when: { homeRiskAtLeast: 0.6 }, then: { route: "cloud" } }];

  it("homeRiskAtLeast reads the risk after the home model's size", () => {
    // logit 0.5 → 0.62 with an unsized home; a 70B home lowers it below 0.6.
    expect(first(input({ homeRiskLogit: 0.5 }, { rules }, { sidecars: home([model("mystery-model")]) }))).toBe("openai");
    const big = plan(input({ homeRiskLogit: 0.5 }, { rules }, { sidecars: home([model("llama3:70b")]) }));
    expect(big.risk?.sizeShift).toBeCloseTo(sizeShift(70), 9);
    expect(big.rule?.name).not.toBe("risky-out");
  });

  it("a learned offset for the home model moves the risk and says so", () => {
    const p = plan(input({ homeRiskLogit: 0 }, { rules }, { riskOffsets: { "llama3.1:8b": { logit: 1, samples: 30, failed: 12 } } }));
    expect(p.rule?.name).toBe("risky-out");
    expect(p.risk).toMatchObject({ userShift: 1, offsetSamples: 30, offsetFailed: 12, homeModel: "llama3.1:8b", homeSizeB: 8, sizeFrom: "name" });
    // Estimated in the other modes too (explain shows it), though no rule reads it there.
    for (const mode of ["local_first", "cloud_only", "local_only"] as const) {
      expect(plan(input({ homeRiskLogit: 0 }, { mode }, { riskOffsets: { "llama3.1:8b": { logit: 1, samples: 30, failed: 12 } } })).risk?.userShift).toBe(1);
    }
    // Another model's offset is not this home's.
    expect(plan(input({ homeRiskLogit: 0 }, {}, { riskOffsets: { "qwen2.5:7b": { logit: 1, samples: 30, failed: 12 } } })).risk?.userShift).toBe(0);
  });

  it("homeRiskBelow and shape conditions match, and the schema names a bad field", () => {
    const r: RoutingPolicy["rules"] = [{ name: "bg", when: { shape: ["background"], homeRiskBelow: 0.9 }, then: { route: "local", fallback: false } }];
    // 8B home: the size shift takes logit 0 to 0.49.
    expect(plan(input({ homeRiskLogit: 0, shape: "background" }, { rules: r })).rule?.why).toEqual(["home risk 0.49 < 0.9", "agent shape background"]);
    expect(ruleSchema.safeParse({ name: "x", when: { homeRiskAtLeast: 2 }, then: { route: "cloud" } }).error?.issues[0]?.path).toEqual(["when", "homeRiskAtLeast"]);
    expect(ruleSchema.safeParse({ name: "x", when: { shape: ["chatty"] }, then: { route: "cloud" } }).error?.issues[0]?.path).toEqual(["when", "shape", 0]);
  });

  it("the agent defaults: background home, compaction to the cheapest that holds it, a risky main turn out", () => {
    expect(plan(input({ shape: "background", kind: "code", complexity: 0.9 }, {})).rule?.name).toBe("agent-background-at-home");
    expect(plan(input({ shape: "compaction", promptTokens: 6000 }, {})).rule?.name).toBe("agent-compaction-cheapest");
    // Too long for home: still the compaction rule (not too-long-for-home), home skipped for its context.
    const long = plan(input({ shape: "compaction", promptTokens: 60_000 }, {}));
    expect(long.rule?.name).toBe("agent-compaction-cheapest");
    expect(long.skipped).toEqual([{ target: "local", outcome: "skipped", reason: "context_too_long" }]);
    expect(plan(input({ shape: "main", homeRiskLogit: 2, tools: true }, {}, { sidecars: home([model("qwen2.5:7b", { tools: true })]) })).rule?.name).toBe("agent-main-risky-to-cloud");
  });

  it("home's model for the estimate: loaded first, then the largest; size from the name or the file", () => {
    expect(homeModelFor(home([model("a:3b"), model("b:14b", { loaded: false })]))?.id).toBe("a:3b");
    expect(homeModelFor(home([model("custom", { sizeBytes: 4.8e9 })]))).toEqual({ id: "custom", sizeB: 8, from: "file size" });
  });
});

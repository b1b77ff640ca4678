import { describe, expect, it } from "vitest";
import { HearthError } from "../errors.js";
import type { LocalModel, SidecarState } from "../tunnel/protocol.js";
import type { SidecarView } from "./local.js";
import { summarize, type PerfSample, type PerfSummary } from "./perf.js";
import { plan, type PlanInput, type RouteFeatures } from "./planner.js";
import { routingPolicySchema, type RoutingPolicy } from "./policy.js";
import { parseTarget, type ProviderId } from "./targets.js";

const CLOUD = ["anthropic/claude-sonnet-4-5", "openai/gpt-4.1-mini"];
const model = (id: string, over: Partial<LocalModel> = {}): LocalModel => ({ id, backend: "llama-cpp", contextLength: 8192, loaded: true, tools: false, tokensPerSecond: 0, ...over });
const sidecar = (models: LocalModel[], over: Partial<SidecarView> = {}, st: Partial<SidecarState> = {}): SidecarView => ({
  sidecarId: "box",
  state: { models, slots: { total: 2, free: 2 }, queue: { depth: 0, max: 2 }, loading: [], freeMemoryBytes: 16e9, draining: false, ...st },
  inflight: 0,
  breakerAllows: true,
  ...over,
});
const HOME = [sidecar([model("llama-8b", { sizeBytes: 5e9 })])];
const feats = (over: Partial<RouteFeatures> = {}): RouteFeatures => ({
  kind: "chat",
  complexity: 0.1,
  promptTokens: 20,
  reserveTokens: 256,
  tools: false,
  images: false,
  json: false,
  metadata: {},
  ...over,
});
const input = (over: Partial<PlanInput> = {}, policy: RoutingPolicy = {}): PlanInput => ({
  model: "auto",
  features: feats(),
  policy,
  privateRequest: false,
  deploymentAutoTargets: CLOUD,
  configured: new Set<ProviderId>(["openai", "anthropic", "local"]),
  sidecars: HOME,
  perf: {},
  openBreakers: new Set(),
  deadlines: { cloudMs: 30_000, localMs: 10_000 },
  ...over,
});
const ids = (p: ReturnType<typeof plan>) => p.targets.map((t) => t.id);
const skips = (p: ReturnType<typeof plan>) => p.skipped.map((s) => `${s.target}:${s.reason}`);
const perfOf = (ttfts: number[], ok = true): PerfSummary =>
  summarize(ttfts.map((ttftMs, i): PerfSample => ({ at: i, ok, ttftMs })), { minSamples: 5 });

describe("parseTarget", () => {
  it.each([
    ["openai/gpt-4o", "openai", "gpt-4o"],
    ["anthropic/claude-3-5-haiku-latest", "anthropic", "claude-3-5-haiku-latest"],
    ["gpt-4o-mini", "openai", "gpt-4o-mini"],
    ["o3-mini", "openai", "o3-mini"],
    ["claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"],
    ["openai/ft:gpt-4o:org/x", "openai", "ft:gpt-4o:org/x"],
  ])("%s → %s %s", (name, provider, m) => {
    expect(parseTarget(name)).toMatchObject({ provider, model: m, id: `${provider}/${m}` });
  });
  it.each(["auto", "llama3", "mystery/model", "openai/", "/gpt-4o"])("rejects %s", (name) => {
    expect(parseTarget(name)).toBeNull();
  });
});

describe("plan: policy modes × home", () => {
  // [mode, sidecars, targets in order, skipped]
  const table: [RoutingPolicy["mode"], SidecarView[], string[], string[]][] = [
    [undefined, HOME, ["local/llama-8b", ...CLOUD], []],
    ["local_first", [], CLOUD, ["local:offline"]],
    ["local_only", HOME, ["local/llama-8b"], []],
    ["local_only", [], [], ["local:offline"]],
    ["cloud_only", HOME, CLOUD, []],
    ["local_first", [sidecar([model("m")], {}, { draining: true })], CLOUD, ["local:draining"]],
    ["local_first", [sidecar([model("m")], { breakerAllows: false })], CLOUD, ["local:breaker_open"]],
    ["local_first", [sidecar([model("m")], {}, { loading: ["m"] })], CLOUD, ["local:loading"]],
    ["local_first", [sidecar([model("m")], { inflight: 4 })], CLOUD, ["local:overloaded"]],
  ];
  it.each(table)("%s with %# → targets and skips", (mode, sidecars, targets, skipped) => {
    const p = plan(input({ sidecars }, mode ? { mode } : {}));
    expect(ids(p)).toEqual(targets);
    expect(skips(p)).toEqual(skipped);
    expect(p.rule).toBeUndefined();
  });

  it("explicit models: that target only, gated by the mode", () => {
    expect(ids(plan(input({ model: "claude-sonnet-4-5" })))).toEqual(["anthropic/claude-sonnet-4-5"]);
    expect(plan(input({ model: "claude-sonnet-4-5" })).reason).toBe("explicit");
    expect(skips(plan(input({ model: "openai/gpt-4o" }, { mode: "local_only" })))).toEqual(["openai/gpt-4o:policy_local_only"]);
    expect(skips(plan(input({ model: "local/x" }, { mode: "cloud_only" })))).toEqual(["local/x:policy_cloud_only"]);
    expect(ids(plan(input({ model: "local/llama-8b" })))).toEqual(["local/llama-8b"]);
    expect(skips(plan(input({ model: "local/nope" })))).toEqual(["local/nope:no_such_model"]);
    expect(ids(plan(input({ model: "local" })))).toEqual(["local/llama-8b"]);
  });
  it("unknown model names are a 404 naming the field", () => {
    expect(() => plan(input({ model: "llama3" }))).toThrow(HearthError);
  });
  it("unconfigured providers and duplicates", () => {
    const p = plan(input({ configured: new Set<ProviderId>(["openai", "local"]) }, { autoTargets: ["openai/a", "openai/a", "anthropic/b"] }));
    expect(ids(p)).toEqual(["local/llama-8b", "openai/a"]);
    expect(skips(p)).toEqual(["anthropic/b:not_configured"]);
  });
});

describe("plan: hybrid rules", () => {
  const coder = sidecar([model("llama-8b", { sizeBytes: 5e9 }), model("qwen2.5-coder-7b", { sizeBytes: 4e9 })]);
  const withTools = sidecar([model("hermes-tools", { tools: true })]);
  // [case, features, sidecars, rule, targets]
  const table: [string, Partial<RouteFeatures>, SidecarView[], string, string[]][] = [
    ["greeting goes home", {}, HOME, "simple-at-home", ["local/llama-8b", ...CLOUD]],
    ["summary goes home", { kind: "extraction", complexity: 0.3 }, HOME, "simple-at-home", ["local/llama-8b", ...CLOUD]],
    ["code without a code model goes to the cloud", { kind: "code", complexity: 0.35 }, HOME, "code-to-cloud", [...CLOUD, "local/llama-8b"]],
    ["code with a code model goes to it", { kind: "code", complexity: 0.35 }, [coder], "code-at-home", ["local/qwen2.5-coder-7b", ...CLOUD]],
    ["hard reasoning goes to the cloud", { kind: "math", complexity: 0.7 }, HOME, "hard-to-cloud", [...CLOUD, "local/llama-8b"]],
    ["easy math stays home", { kind: "math", complexity: 0.3 }, HOME, "default", ["local/llama-8b", ...CLOUD]],
    ["tools without local support go to the cloud", { tools: true }, HOME, "tools-need-cloud", CLOUD],
    ["tools with local support stay home", { tools: true }, [withTools], "simple-at-home", ["local/hermes-tools", ...CLOUD]],
    ["images without a vision model go to the cloud", { images: true }, HOME, "images-need-cloud", [...CLOUD, "local/llama-8b"]],
    ["too long for home goes to the cloud", { promptTokens: 20_000 }, HOME, "too-long-for-home", CLOUD],
  ];
  it.each(table)("%s", (_, f, sidecars, rule, targets) => {
    const p = plan(input({ features: feats(f), sidecars }, { mode: "hybrid" }));
    expect(p.rule?.name).toBe(rule);
    expect(ids(p)).toEqual(targets);
  });
  it("reasons are given for the rule, each target and each skip", () => {
    const p = plan(input({ features: feats({ tools: true }) }, { mode: "hybrid" }));
    expect(p.rule?.why).toEqual(["tools offered", "no local model has tools"]);
    expect(skips(p)).toEqual(["local:no_tool_support"]);
    expect(p.targets[0]?.why).toBe("rule tools-need-cloud");
  });
  it("home offline: local rules do not fire, home is skipped as offline", () => {
    const p = plan(input({ sidecars: [] }, { mode: "hybrid" }));
    expect(p.rule?.name).toBe("simple-at-home");
    expect(ids(p)).toEqual(CLOUD);
    expect(skips(p)).toEqual(["local:offline"]);
  });
  it("user rules come first and can match metadata and the model name", () => {
    const policy: RoutingPolicy = {
      mode: "hybrid",
      rules: [
        { name: "batch-jobs-home", when: { metadata: { job: "batch" } }, then: { route: "local", fallback: false, localDeadlineMs: 60_000 } },
        { name: "fast-cloud", when: { model: "au*" }, then: { route: "cloud", cloudDeadlineMs: 5_000 } },
      ],
    };
    const batch = plan(input({ features: feats({ metadata: { job: "batch" } }) }, policy));
    expect(batch.rule?.name).toBe("batch-jobs-home");
    expect(batch.targets).toMatchObject([{ id: "local/llama-8b", deadlineMs: 60_000 }]);
    const other = plan(input({}, policy));
    expect(other.rule?.name).toBe("fast-cloud");
    expect(other.targets.map((t) => [t.id, t.deadlineMs])).toEqual([[CLOUD[0], 5_000], [CLOUD[1], 5_000], ["local/llama-8b", 10_000]]);
  });
  it("without the default rules and no match, behaves as local_first", () => {
    const p = plan(input({}, { mode: "hybrid", defaultRules: false, rules: [{ name: "never", when: { kind: ["math"] }, then: { route: "cloud" } }] }));
    expect(p.rule).toBeUndefined();
    expect(ids(p)).toEqual(["local/llama-8b", ...CLOUD]);
  });
  it("a smaller model when the big one is busy, or would not fit in memory", () => {
    const two = (inflightBig: boolean, freeMemoryBytes = 16e9) =>
      plan(input({ features: feats({ complexity: 0.6 }), sidecars: [sidecar([model("big", { sizeBytes: 9e9, loaded: !inflightBig }), model("small", { sizeBytes: 2e9, loaded: false })], {}, { freeMemoryBytes })] }));
    expect(ids(two(false))[0]).toBe("local/big");
    expect(ids(two(true, 4e9))[0]).toBe("local/small");
  });
});

describe("plan: home's models by difficulty", () => {
  // A small fast model and a large strong one, both loaded, on one machine.
  const pair = (st: Partial<SidecarState> = {}, over: Partial<SidecarView> = {}, bigLoaded = true) =>
    sidecar([model("qwen-1.5b", { sizeBytes: 1e9 }), model("qwen-32b", { sizeBytes: 19e9, loaded: bigLoaded })], over, st);
  const home = (p: ReturnType<typeof plan>) => p.targets.find((t) => t.provider === "local");
  it("an easy request goes to the small model, a hard one to the large, and the plan says why", () => {
    const easy = plan(input({ features: feats({ complexity: 0.1 }), sidecars: [pair()] }));
    expect(home(easy)?.id).toBe("local/qwen-1.5b");
    expect(home(easy)?.why).toContain("easy request (complexity 0.10 < 0.35): the smallest of 2 model sizes");
    expect(home(easy)?.pick).toBe("easy");
    const hard = plan(input({ features: feats({ kind: "math", complexity: 0.6 }), sidecars: [pair()] }));
    expect(home(hard)?.id).toBe("local/qwen-32b");
    expect(home(hard)?.why).toContain("hard request (complexity 0.60 ≥ 0.35): the largest");
  });
  it("the policy's localHardAt moves the line", () => {
    const f = feats({ complexity: 0.5 });
    expect(home(plan(input({ features: f, sidecars: [pair()] })))?.id).toBe("local/qwen-32b");
    expect(home(plan(input({ features: f, sidecars: [pair()] }, { localHardAt: 0.8 })))?.id).toBe("local/qwen-1.5b");
    expect(home(plan(input({ features: feats({ complexity: 0 }), sidecars: [pair()] }, { localHardAt: 0 })))?.id).toBe("local/qwen-32b");
  });
  it("memory overrules difficulty: a hard request stays on the small model when the large one would not fit", () => {
    const p = plan(input({ features: feats({ complexity: 0.9 }), sidecars: [pair({ freeMemoryBytes: 4e9 }, {}, false)] }));
    expect(home(p)?.id).toBe("local/qwen-1.5b");
    expect(home(p)?.why).toContain("but qwen-32b would not fit free memory");
    expect(home(p)?.pick).toBe("memory");
  });
  it("an easy request does not wait for the small model to load while the large one is loaded; a hard one does load the large one", () => {
    const onlyBigLoaded = sidecar([model("qwen-1.5b", { sizeBytes: 1e9, loaded: false }), model("qwen-32b", { sizeBytes: 19e9 })], {}, { freeMemoryBytes: 8e9 });
    const easy = plan(input({ features: feats({ complexity: 0.1 }), sidecars: [onlyBigLoaded] }));
    expect(home(easy)?.id).toBe("local/qwen-32b");
    expect(home(easy)?.pick).toBe("cold");
    expect(home(easy)?.why).toContain("but qwen-1.5b is not loaded and qwen-32b is");
    const onlySmallLoaded = sidecar([model("qwen-1.5b", { sizeBytes: 1e9 }), model("qwen-32b", { sizeBytes: 19e9, loaded: false })], {}, { freeMemoryBytes: 30e9 });
    const hard = plan(input({ features: feats({ complexity: 0.9 }), sidecars: [onlySmallLoaded] }));
    expect(home(hard)?.id).toBe("local/qwen-32b");
    expect(home(hard)?.pick).toBe("hard");
  });
  it("load overrules difficulty: the large model's machine is full, the small one's is free", () => {
    const big = sidecar([model("qwen-32b", { sizeBytes: 19e9 })], { sidecarId: "gpu-box", inflight: 2 });
    const small = sidecar([model("qwen-1.5b", { sizeBytes: 1e9 })], { sidecarId: "laptop" });
    const p = plan(input({ features: feats({ complexity: 0.9 }), sidecars: [big, small] }));
    expect(home(p)?.id).toBe("local/qwen-1.5b");
    expect(home(p)?.why).toContain("but qwen-32b's sidecar has no free slot");
    expect(home(p)?.pick).toBe("busy");
  });
  it("one model, or models of one size: no difficulty choice is claimed", () => {
    const p = plan(input({ features: feats({ complexity: 0.9 }) }));
    expect(home(p)?.why).not.toContain("request (complexity");
    expect(home(p)?.pick).toBeUndefined();
  });
});

describe("plan: privacy", () => {
  it("a private request never plans the cloud, whatever the rules say", () => {
    const p = plan(input({ privateRequest: true, features: feats({ kind: "code" }) }, { mode: "hybrid" }));
    expect(ids(p)).toEqual(["local/llama-8b"]);
    expect(skips(p)).toEqual(CLOUD.map((c) => `${c}:private`));
    expect(p.private).toBe(true);
  });
  it("fails closed when home is offline", () => {
    const p = plan(input({ privateRequest: true, sidecars: [] }));
    expect(p.targets).toEqual([]);
    expect(skips(p)).toEqual(["local:offline", ...CLOUD.map((c) => `${c}:private`)]);
  });
  it("the policy can make every request private, and an explicit cloud model is refused", () => {
    expect(skips(plan(input({ model: "openai/gpt-4o" }, { private: true })))).toEqual(["openai/gpt-4o:private"]);
  });
});

describe("plan: learned performance", () => {
  it("the home deadline adapts to observed time to first token, within floor and ceiling", () => {
    const slow = plan(input({ perf: { local: perfOf([400, 420, 450, 500, 600]) } }));
    expect(slow.targets[0]?.deadlineMs).toBe(1_200);
    const fast = plan(input({ perf: { local: perfOf([5, 6, 7, 8, 9]) } }));
    expect(fast.targets[0]?.deadlineMs).toBe(1_000);
    const glacial = plan(input({ perf: { local: perfOf([9_000, 9_000, 9_000, 9_000, 9_000]) } }));
    expect(glacial.targets[0]?.deadlineMs).toBe(10_000);
    const few = plan(input({ perf: { local: perfOf([400, 400]) } }));
    expect(few.targets[0]?.deadlineMs).toBe(10_000);
    expect(plan(input({ perf: { local: perfOf([5, 6, 7, 8, 9]) } }, { localFirstTokenFloorMs: 200 })).targets[0]?.deadlineMs).toBe(200);
  });
  it("a model's own window wins over home's when it has enough samples", () => {
    const p = plan(input({ perf: { local: perfOf([100, 100, 100, 100, 100]), "local/llama-8b": perfOf([900, 900, 900, 900, 900]) } }));
    expect(p.targets[0]?.deadlineMs).toBe(1_800);
  });
  it("order: fastest puts the quicker cloud target first; an open breaker goes last", () => {
    const perf = { [CLOUD[0] as string]: perfOf([900, 900, 900, 900, 900]), [CLOUD[1] as string]: perfOf([100, 100, 100, 100, 100]) };
    expect(ids(plan(input({ perf }, { mode: "cloud_only", order: "fastest" })))).toEqual([CLOUD[1], CLOUD[0]]);
    expect(ids(plan(input({ perf }, { mode: "cloud_only" })))).toEqual(CLOUD);
    const p = plan(input({ openBreakers: new Set([CLOUD[0] as string]) }, { mode: "cloud_only" }));
    expect(ids(p)).toEqual([CLOUD[1], CLOUD[0]]);
    expect(p.notes.join()).toMatch(/breaker open/);
  });
  it("hedges only when asked, home goes first, and its p95 is known", () => {
    const perf = { local: perfOf([100, 120, 150, 180, 300]) };
    expect(plan(input({ perf }, { hedge: { enabled: true } })).hedge).toEqual({ primary: "local/llama-8b", backup: CLOUD[0], afterMs: 300 });
    expect(plan(input({ perf }, {})).hedge).toBeUndefined();
    expect(plan(input({}, { hedge: { enabled: true } })).hedge).toBeUndefined();
    expect(plan(input({}, { hedge: { enabled: true, afterMs: 50 } })).hedge?.afterMs).toBe(50);
    expect(plan(input({ perf }, { mode: "cloud_only", hedge: { enabled: true } })).hedge).toBeUndefined();
  });
});

describe("routingPolicySchema", () => {
  it("rejects unknown keys, bad targets and bad rules", () => {
    expect(routingPolicySchema.safeParse({ autoTargets: ["x/y"] }).success).toBe(false);
    expect(routingPolicySchema.safeParse({ surprise: 1 }).success).toBe(false);
    expect(routingPolicySchema.safeParse({ autoTargets: ["openai/gpt-4o"], maxAttemptsPerTarget: 2 }).success).toBe(true);
    expect(routingPolicySchema.safeParse({ autoTargets: ["local/x"] }).success).toBe(false);
    expect(routingPolicySchema.safeParse({ mode: "hybrid", localFirstTokenMs: 5000 }).success).toBe(true);
    expect(routingPolicySchema.safeParse({ mode: "sometimes" }).success).toBe(false);
    expect(routingPolicySchema.safeParse({ rules: [{ name: "Bad Name", when: {}, then: { route: "local" } }] }).success).toBe(false);
    expect(routingPolicySchema.safeParse({ rules: [{ name: "x", when: { kind: ["poetry"] }, then: { route: "local" } }] }).success).toBe(false);
    expect(routingPolicySchema.safeParse({ rules: [{ name: "x", when: {}, then: { route: "moon" } }] }).success).toBe(false);
    expect(routingPolicySchema.safeParse({ rules: [{ name: "x", when: { local: { tag: "code" } }, then: { route: "local", localModels: ["tag:code"] } }] }).success).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { HearthError } from "../errors.js";
import { parseTarget, planRoute, routingPolicySchema, type ProviderId } from "./targets.js";

const both = new Set<ProviderId>(["openai", "anthropic"]);
const all = new Set<ProviderId>(["openai", "anthropic", "local"]);
const deployment = ["anthropic/claude-sonnet-4-5", "openai/gpt-4.1-mini"];

describe("parseTarget", () => {
  it.each([
    ["openai/gpt-4o", "openai", "gpt-4o"],
    ["anthropic/claude-3-5-haiku-latest", "anthropic", "claude-3-5-haiku-latest"],
    ["gpt-4o-mini", "openai", "gpt-4o-mini"],
    ["o3-mini", "openai", "o3-mini"],
    ["claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"],
    ["openai/ft:gpt-4o:org/x", "openai", "ft:gpt-4o:org/x"],
  ])("%s → %s %s", (name, provider, model) => {
    expect(parseTarget(name)).toMatchObject({ provider, model, id: `${provider}/${model}` });
  });
  it.each(["auto", "llama3", "mystery/model", "openai/", "/gpt-4o"])("rejects %s", (name) => {
    expect(parseTarget(name)).toBeNull();
  });
});

describe("planRoute", () => {
  it("uses the deployment's list for auto", () => {
    const plan = planRoute({ model: "auto", policy: {}, deploymentAutoTargets: deployment, configured: both });
    expect(plan.targets.map((t) => t.id)).toEqual(deployment);
    expect(plan.reason).toBe("auto");
  });
  it("prefers the user's own list", () => {
    const plan = planRoute({ model: "auto", policy: { autoTargets: ["openai/gpt-4o"] }, deploymentAutoTargets: deployment, configured: both });
    expect(plan.targets.map((t) => t.id)).toEqual(["openai/gpt-4o"]);
  });
  it("skips targets whose provider has no key, saying so", () => {
    const plan = planRoute({ model: "auto", policy: {}, deploymentAutoTargets: deployment, configured: new Set(["openai"]) });
    expect(plan.targets.map((t) => t.id)).toEqual(["openai/gpt-4.1-mini"]);
    expect(plan.skipped).toEqual([
      { target: "local", outcome: "skipped", reason: "not_configured" },
      { target: "anthropic/claude-sonnet-4-5", outcome: "skipped", reason: "not_configured" },
    ]);
  });
  it("sends an explicit model to that target only", () => {
    const plan = planRoute({ model: "claude-sonnet-4-5", policy: {}, deploymentAutoTargets: deployment, configured: both });
    expect(plan.targets.map((t) => t.id)).toEqual(["anthropic/claude-sonnet-4-5"]);
    expect(plan.reason).toBe("explicit");
  });
  it("throws model_not_found for a name no provider owns", () => {
    const run = () => planRoute({ model: "llama3", policy: {}, deploymentAutoTargets: deployment, configured: both });
    expect(run).toThrow(HearthError);
    expect(run).toThrow(/llama3/);
  });
  it("drops duplicates", () => {
    const plan = planRoute({ model: "auto", policy: { autoTargets: ["openai/a", "openai/a", "openai/b"] }, deploymentAutoTargets: [], configured: both });
    expect(plan.targets.map((t) => t.id)).toEqual(["openai/a", "openai/b"]);
  });
});

describe("planRoute with the sidecar", () => {
  const plan = (model: string, mode?: "local_first" | "local_only" | "cloud_only") =>
    planRoute({ model, policy: mode ? { mode } : {}, deploymentAutoTargets: deployment, configured: all });
  it("local_first (the default) puts home first, then the cloud list", () => {
    expect(plan("auto").targets.map((t) => t.id)).toEqual(["local", ...deployment]);
    expect(plan("auto").targets[0]?.model).toBe("*");
  });
  it("local_only never plans the cloud, and says why for an explicit cloud model", () => {
    expect(plan("auto", "local_only").targets.map((t) => t.id)).toEqual(["local"]);
    const explicit = plan("openai/gpt-4o", "local_only");
    expect(explicit.targets).toEqual([]);
    expect(explicit.skipped).toEqual([{ target: "openai/gpt-4o", outcome: "skipped", reason: "policy_local_only" }]);
  });
  it("cloud_only never plans home", () => {
    expect(plan("auto", "cloud_only").targets.map((t) => t.id)).toEqual(deployment);
    expect(plan("local/llama", "cloud_only").skipped[0]?.reason).toBe("policy_cloud_only");
  });
  it("local/<id> and local go home only", () => {
    expect(plan("local/qwen-7b").targets).toEqual([{ provider: "local", model: "qwen-7b", id: "local/qwen-7b" }]);
    expect(plan("local").targets.map((t) => t.model)).toEqual(["*"]);
  });
});

describe("routingPolicySchema", () => {
  it("rejects unknown keys and bad targets", () => {
    expect(routingPolicySchema.safeParse({ autoTargets: ["x/y"] }).success).toBe(false);
    expect(routingPolicySchema.safeParse({ surprise: 1 }).success).toBe(false);
    expect(routingPolicySchema.safeParse({ autoTargets: ["openai/gpt-4o"], maxAttemptsPerTarget: 2 }).success).toBe(true);
    expect(routingPolicySchema.safeParse({ autoTargets: ["local/x"] }).success).toBe(false);
    expect(routingPolicySchema.safeParse({ mode: "local_only", localFirstTokenMs: 5000 }).success).toBe(true);
    expect(routingPolicySchema.safeParse({ mode: "sometimes" }).success).toBe(false);
  });
});

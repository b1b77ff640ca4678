import { describe, expect, it } from "vitest";
import type { HubHealth, HubSidecar } from "../hub-client/types.js";
import { adminChecks, userChecks, worst, type Check } from "./checks.js";

const sidecar = (over: Partial<HubSidecar> = {}): HubSidecar => ({
  sidecarId: "box",
  name: "desk",
  connectedAt: 0,
  models: [{ id: "qwen", backend: "llama-cpp", contextLength: 8192, loaded: true, tools: false, tokensPerSecond: 0 }],
  slots: { total: 1, free: 1 },
  queue: { depth: 0, max: 1 },
  loading: [],
  freeMemoryBytes: 16e9,
  draining: false,
  inflight: 0,
  breaker: "closed",
  ...over,
});

const budget = (state: HubHealth["budget"]["state"], onExceeded = "home_only"): HubHealth["budget"] => ({
  state,
  on_exceeded: onExceeded as "home_only",
  reserved_usd: 0,
  day: { date: "2026-11-27", spent_usd: 1, limit_usd: state === "none" ? null : 1, remaining_usd: state === "none" ? null : 0, resets_at: "2026-11-28T00:00:00.000Z" },
  month: { month: "2026-11", spent_usd: 1, limit_usd: null, remaining_usd: null, resets_at: "2026-12-01T00:00:00.000Z" },
});

const hub = (over: Partial<HubHealth> = {}): HubHealth => ({ sidecars: [sidecar()], breakers: {}, cloud: {}, budget: budget("none"), ...over });
const byName = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.name, c.status]));
const input = (h: Partial<HubHealth> = {}, policy = {}, configured = ["openai", "local"]) => ({ hub: hub(h), policy, configured: new Set(configured), deploymentAutoTargets: ["openai/gpt-4o-mini"], now: 0 });

describe("user health", () => {
  it("all well: a sidecar connected, no breaker open, no budget, OpenAI configured and answering", () => {
    const checks = userChecks(input({ cloud: { "openai/gpt-4o-mini": { samples: 10, errorRate: 0.1 } } }));
    expect(byName(checks)).toEqual({ sidecars: "ok", breakers: "ok", budget: "ok", "provider:openai": "ok", "provider:anthropic": "ok" });
    expect(worst(checks)).toBe("ok");
    expect(checks.find((c) => c.name === "provider:openai")?.reason).toMatch(/10% of the last 10/);
  });

  it("no sidecar: a warning while the cloud covers, a failure when nothing can answer", () => {
    expect(byName(userChecks(input({ sidecars: [] }))).sidecars).toBe("warn");
    expect(byName(userChecks(input({ sidecars: [] }, { mode: "local_only" }))).sidecars).toBe("fail");
    expect(byName(userChecks(input({ sidecars: [] }, {}, ["local"]))).sidecars).toBe("fail");
    expect(byName(userChecks(input({ sidecars: [sidecar({ draining: true })] }, { private: true }))).sidecars).toBe("fail");
    expect(byName(userChecks(input({ sidecars: [] }, { mode: "cloud_only" }))).sidecars).toBe("ok");
  });

  it("open breakers, a failing provider, a missing key for a target in use", () => {
    const checks = userChecks(input({ sidecars: [sidecar({ breaker: "open" })], breakers: { "openai/gpt-4o-mini": "open" }, cloud: { "openai/gpt-4o-mini": { samples: 10, errorRate: 0.6 } } }, { autoTargets: ["anthropic/claude-sonnet-4-5", "openai/gpt-4o-mini"] }));
    expect(byName(checks)).toMatchObject({ breakers: "warn", "provider:openai": "fail", "provider:anthropic": "warn" });
    expect(checks.find((c) => c.name === "breakers")?.reason).toMatch(/local \(desk\), openai\/gpt-4o-mini/);
    expect(worst(checks)).toBe("fail");
    // Too few samples to judge.
    expect(byName(userChecks(input({ cloud: { "openai/gpt-4o-mini": { samples: 2, errorRate: 1 } } })))["provider:openai"]).toBe("ok");
  });

  it("a budget: near is a warning; reached is a warning while home answers, else a failure", () => {
    expect(byName(userChecks(input({ budget: budget("near") }))).budget).toBe("warn");
    expect(byName(userChecks(input({ budget: budget("exceeded") }))).budget).toBe("warn");
    expect(byName(userChecks(input({ budget: budget("exceeded"), sidecars: [] }))).budget).toBe("fail");
    expect(byName(userChecks(input({ budget: budget("exceeded", "refuse") }))).budget).toBe("fail");
  });
});

describe("operator health", () => {
  const base = { d1: { ok: true as const, ms: 3 }, users: 4, configured: new Set(["openai", "local"]), autoTargets: ["openai/gpt-4o-mini"], invalidVars: [], budget: { dailyUsd: undefined, monthlyUsd: 5 } };

  it("all well", () => {
    const checks = adminChecks(base);
    expect(byName(checks)).toEqual({ d1: "ok", "provider:openai": "ok", "provider:anthropic": "ok", vars: "ok", users: "ok" });
    expect(checks.find((c) => c.name === "vars")?.reason).toMatch(/monthly 5 USD/);
  });

  it("D1 down fails; slow D1, unreadable vars, bad or keyless auto targets warn", () => {
    expect(byName(adminChecks({ ...base, d1: { ok: false, ms: 5000, error: "timeout" }, users: undefined }))).toMatchObject({ d1: "fail", users: "fail" });
    expect(byName(adminChecks({ ...base, d1: { ok: true, ms: 1500 } })).d1).toBe("warn");
    const checks = adminChecks({ ...base, invalidVars: ["HEARTH_BUDGET_DAILY_USD"], autoTargets: ["anthropic/claude-x", "local/qwen"] });
    expect(byName(checks)).toMatchObject({ vars: "warn", "provider:anthropic": "warn" });
    expect(checks.find((c) => c.name === "vars")?.reason).toMatch(/HEARTH_BUDGET_DAILY_USD is unreadable.*'local\/qwen'/);
  });
});

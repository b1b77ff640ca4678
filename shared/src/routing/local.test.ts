import { describe, expect, it } from "vitest";
import type { LocalModel, SidecarState } from "../tunnel/protocol.js";
import { pickLocal, type LocalFeatures, type SidecarView } from "./local.js";

const model = (id: string, over: Partial<LocalModel> = {}): LocalModel => ({
  id,
  backend: "llama-cpp",
  contextLength: 4096,
  loaded: true,
  tools: false,
  tokensPerSecond: 0,
  ...over,
});
const state = (models: LocalModel[], over: Partial<SidecarState> = {}): SidecarState => ({
  models,
  slots: { total: 2, free: 2 },
  queue: { depth: 0, max: 2 },
  loading: [],
  freeMemoryBytes: 1e9,
  draining: false,
  ...over,
});
const view = (s: SidecarState, over: Partial<SidecarView> = {}): SidecarView => ({ sidecarId: "home", state: s, inflight: 0, breakerAllows: true, ...over });
const chat: LocalFeatures = { promptTokens: 100, reserveTokens: 256, needsTools: false };

describe("pickLocal", () => {
  it("is offline without sidecars", () => expect(pickLocal(chat, [])).toEqual({ ok: false, reason: "offline" }));
  it("prefers a loaded model, then the larger", () => {
    const r = pickLocal(chat, [view(state([model("cold", { loaded: false, sizeBytes: 9e9 }), model("small", { sizeBytes: 1e9 }), model("big", { sizeBytes: 4e9 })]))]);
    expect(r.ok && r.model.id).toBe("big");
  });
  it("refuses a prompt longer than every context", () => {
    expect(pickLocal({ ...chat, promptTokens: 5000 }, [view(state([model("m")]))])).toEqual({ ok: false, reason: "context_too_long" });
  });
  it("picks the long-context model when only it fits", () => {
    const r = pickLocal({ ...chat, promptTokens: 6000 }, [view(state([model("short"), model("long", { contextLength: 32768 })]))]);
    expect(r.ok && r.model.id).toBe("long");
  });
  it("passes over a model whose tool answers fail too often for a tool request — not for others, nor when home is all there is", () => {
    const sidecars = [view(state([model("flaky", { tools: true, sizeBytes: 4e9 }), model("steady", { tools: true, sizeBytes: 1e9 })]))];
    const unreliableTools = new Set(["flaky"]);
    const r = pickLocal({ ...chat, needsTools: true, unreliableTools }, sidecars);
    expect(r.ok && r.model.id).toBe("steady");
    expect(pickLocal({ ...chat, needsTools: true, unreliableTools: new Set(["flaky", "steady"]) }, sidecars)).toEqual({ ok: false, reason: "unreliable_tools" });
    expect(pickLocal({ ...chat, unreliableTools }, sidecars)).toMatchObject({ ok: true, model: { id: "flaky" } });
    expect(pickLocal({ ...chat, needsTools: true, wait: true, unreliableTools: new Set(["flaky", "steady"]) }, sidecars).ok).toBe(true);
  });
  it("needs tool support when the request has tools", () => {
    expect(pickLocal({ ...chat, needsTools: true }, [view(state([model("m")]))])).toEqual({ ok: false, reason: "no_tool_support" });
    const r = pickLocal({ ...chat, needsTools: true }, [view(state([model("m"), model("t", { tools: true })]))]);
    expect(r.ok && r.model.id).toBe("t");
  });
  it("is overloaded when in-flight requests fill slots and queue", () => {
    expect(pickLocal(chat, [view(state([model("m")]), { inflight: 4 })])).toEqual({ ok: false, reason: "overloaded" });
    expect(pickLocal(chat, [view(state([model("m")]), { inflight: 3 })]).ok).toBe(true);
  });
  it("is loading while the only fitting model loads", () => {
    expect(pickLocal(chat, [view(state([model("m", { loaded: false })], { loading: ["m"] }))])).toEqual({ ok: false, reason: "loading" });
  });
  it("skips a sidecar whose breaker is open, and a draining one", () => {
    expect(pickLocal(chat, [view(state([model("m")]), { breakerAllows: false })])).toEqual({ ok: false, reason: "breaker_open" });
    expect(pickLocal(chat, [view(state([model("m")], { draining: true }))])).toEqual({ ok: false, reason: "draining" });
  });
  it("finds a named model on whichever sidecar has it", () => {
    const r = pickLocal({ ...chat, model: "b" }, [view(state([model("a")]), { sidecarId: "pc" }), view(state([model("b")]), { sidecarId: "mac" })]);
    expect(r.ok && [r.sidecarId, r.model.id]).toEqual(["mac", "b"]);
    expect(pickLocal({ ...chat, model: "zzz" }, [view(state([model("a")]))])).toEqual({ ok: false, reason: "no_such_model" });
  });
  it("spreads load to the sidecar with free slots", () => {
    const r = pickLocal(chat, [view(state([model("m")]), { sidecarId: "busy", inflight: 2 }), view(state([model("m")]), { sidecarId: "idle" })]);
    expect(r.ok && r.sidecarId).toBe("idle");
  });
  it("by difficulty: easy → the smallest that can take it, hard → the largest; unknown → the largest", () => {
    const models = [model("small", { sizeBytes: 1e9 }), model("mid", { sizeBytes: 4e9 }), model("big", { sizeBytes: 8e9 })];
    const pick = (complexity?: number) => {
      const r = pickLocal({ ...chat, ...(complexity !== undefined ? { complexity } : {}) }, [view(state(models))]);
      return r.ok ? r.model.id : r.reason;
    };
    expect([pick(0.05), pick(0.9), pick(undefined)]).toEqual(["small", "big", "big"]);
  });
  it("by difficulty, the context still rules: an easy long prompt takes the only model it fits", () => {
    const r = pickLocal({ ...chat, promptTokens: 6000, complexity: 0.1 }, [view(state([model("small", { sizeBytes: 1e9 }), model("big", { sizeBytes: 8e9, contextLength: 32768 })]))]);
    expect(r.ok && r.model.id).toBe("big");
  });
});

import { describe, expect, it } from "vitest";
import type { LocalModel, SidecarState } from "../tunnel/protocol.js";
import { ANSWER_ROOM_CAP, ANSWER_ROOM_DEFAULT, answerReserve, contextShortfall, shortfallMessage } from "./answer-room.js";
import type { SidecarView } from "./local.js";
import { plan, type PlanInput } from "./planner.js";

const model = (id: string, contextLength: number, over: Partial<LocalModel> = {}): LocalModel => ({ id, backend: "llama-cpp", contextLength, loaded: true, tools: false, tokensPerSecond: 0, ...over });
const home = (...models: LocalModel[]): SidecarView => ({
  sidecarId: "box",
  state: { models, slots: { total: 2, free: 2 }, queue: { depth: 0, max: 2 }, loading: [], freeMemoryBytes: 16e9, draining: false } satisfies SidecarState,
  inflight: 0,
  breakerAllows: true,
});

describe("answerReserve", () => {
  it("keeps the default room without max_tokens, the client's otherwise, capped", () => {
    expect(answerReserve(undefined)).toBe(ANSWER_ROOM_DEFAULT);
    expect(answerReserve(16)).toBe(16);
    expect(answerReserve(100_000)).toBe(ANSWER_ROOM_CAP);
  });
});

describe("contextShortfall", () => {
  it("measures against the largest context among the chat models that may serve", () => {
    const s = contextShortfall({ promptTokens: 10, reserveTokens: 256 }, [home(model("tiny", 256), model("embed", 8192, { chat: false })), home(model("small", 200))]);
    expect(s).toEqual({ model: "local/tiny", contextLength: 256, promptTokens: 10, reserveTokens: 256, maxTokens: 246 });
  });

  it("only the named model, or those the preferences allow", () => {
    const sidecars = [home(model("tiny", 256), model("big", 2048))];
    expect(contextShortfall({ promptTokens: 10, reserveTokens: 4000 }, sidecars, ["tiny"])?.model).toBe("local/tiny");
    expect(contextShortfall({ promptTokens: 10, reserveTokens: 4000, model: "tiny" }, sidecars)?.model).toBe("local/tiny");
    expect(contextShortfall({ promptTokens: 10, reserveTokens: 4000 }, sidecars)?.model).toBe("local/big");
    expect(contextShortfall({ promptTokens: 10, reserveTokens: 4000 }, sidecars, ["nothing-like-it"])).toBeUndefined();
  });

  it("has no room for an answer when the prompt alone overflows", () => {
    expect(contextShortfall({ promptTokens: 300, reserveTokens: 256 }, [home(model("tiny", 256))])?.maxTokens).toBe(0);
  });
});

describe("shortfallMessage", () => {
  it("blames the answer's room, not a short prompt, and names the max_tokens that fits", () => {
    const m = shortfallMessage({ model: "local/hearth-tiny", contextLength: 256, promptTokens: 10, reserveTokens: 256, maxTokens: 246 });
    expect(m.param).toBe("max_tokens");
    expect(m.says).toBe(
      "its prompt (~10 tokens) fits local/hearth-tiny's context of 256 tokens, but not with room for a 256-token answer " +
        "(Hearth keeps max_tokens free, at most 1024, or 256 when max_tokens is not set): set max_tokens to 246 or less, or serve a model with a longer context",
    );
    expect(m.says).not.toContain("prompt is longer");
  });

  it("blames the prompt when it alone does not fit", () => {
    const m = shortfallMessage({ model: "local/hearth-tiny", contextLength: 256, promptTokens: 900, reserveTokens: 256, maxTokens: 0 });
    expect(m).toEqual({ param: "messages", says: "its prompt (~900 tokens) is longer than local/hearth-tiny's context of 256 tokens, the largest of the models that may serve it" });
  });
});

describe("plan: home's context shortfall", () => {
  const input = (promptTokens: number, models: LocalModel[], over: Partial<PlanInput> = {}): PlanInput => ({
    model: "auto",
    features: { kind: "chat", complexity: 0.1, promptTokens, reserveTokens: 256, tools: false, images: false, json: false, metadata: {} },
    policy: {},
    privateRequest: false,
    deploymentAutoTargets: ["openai/gpt-4.1-mini"],
    configured: new Set(["local"]),
    sidecars: [home(...models)],
    perf: {},
    openBreakers: new Set(),
    deadlines: { cloudMs: 30_000, localMs: 10_000 },
    ...over,
  });

  it("is on the plan when home is skipped for its context", () => {
    const p = plan(input(10, [model("hearth-tiny", 256)]));
    expect(p.skipped[0]).toMatchObject({ target: "local", reason: "context_too_long" });
    expect(p.context).toEqual({ model: "local/hearth-tiny", contextLength: 256, promptTokens: 10, reserveTokens: 256, maxTokens: 246 });
  });

  it("is absent when home takes the request", () => {
    const p = plan(input(10, [model("hearth-tiny", 4096)]));
    expect(p.targets.map((t) => t.id)).toEqual(["local/hearth-tiny"]);
    expect(p.context).toBeUndefined();
  });

  it("measures the named model of an explicit request", () => {
    const p = plan(input(10, [model("hearth-tiny", 256), model("big", 8192)], { model: "local/hearth-tiny", features: { kind: "chat", complexity: 0, promptTokens: 10, reserveTokens: 1024, tools: false, images: false, json: false, metadata: {} } }));
    expect(p.context).toMatchObject({ model: "local/hearth-tiny", maxTokens: 246, reserveTokens: 1024 });
  });
});

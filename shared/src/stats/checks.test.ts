import { describe, expect, it } from "vitest";
import { applyCheck, checksReport, recentPassRate, toolRecordOf, toolsUnreliable, unreliableToolModels, UNRELIABLE_FOR_MS, type ModelChecks } from "./checks.js";

const tools = (ok: boolean, check?: string) => ({ model: "qwen", family: "tools" as const, ok, ...(check ? { check } : {}) });

describe("home models' check counts", () => {
  it("counts passes, repairs and failures by check, and keeps the last 20 outcomes (the planner's tool record)", () => {
    const m: Record<string, ModelChecks> = {};
    applyCheck(m, { ...tools(true), repair: "tool_call_from_text" }, 1);
    applyCheck(m, tools(false, "tool_args_schema"), 2);
    for (let i = 0; i < 19; i++) applyCheck(m, tools(true), 3 + i);
    expect(m.qwen?.tools).toEqual({ checked: 21, passed: 20, repaired: 1, failed: { tool_args_schema: 1 }, recent: `0${"1".repeat(19)}`, lastFailAt: 2 });
    expect(recentPassRate(m.qwen?.tools)).toBe(0.95);
    expect(toolRecordOf(m)).toEqual({ qwen: { checked: 20, passed: 19 } });
    applyCheck(m, { model: "llama", family: "structured", ok: true }, 30);
    expect(toolRecordOf(m)).toEqual({ qwen: { checked: 20, passed: 19 } });
  });

  it("judges nothing on fewer than 4 recent answers", () => {
    const m: Record<string, ModelChecks> = {};
    for (let i = 0; i < 3; i++) applyCheck(m, tools(false, "empty"), i);
    expect(recentPassRate(m.qwen?.tools)).toBeUndefined();
    expect(toolsUnreliable(m.qwen, 0.5, 10)).toBe(false);
  });

  it("passes a model over for tools when more than the threshold failed, until 10 minutes after its last failure, then gives it another chance", () => {
    const m: Record<string, ModelChecks> = {};
    applyCheck(m, tools(true), 0);
    for (let i = 1; i <= 3; i++) applyCheck(m, tools(false, "tool_unknown"), i * 1000);
    expect(toolsUnreliable(m.qwen, 0.5, 3_001)).toBe(true);
    expect(toolsUnreliable(m.qwen, 0.8, 3_001)).toBe(false);
    expect(toolsUnreliable(m.qwen, 0.5, 3_000 + UNRELIABLE_FOR_MS)).toBe(false);
    // The chance fails: back out at once.
    applyCheck(m, tools(false, "tool_unknown"), 3_000 + UNRELIABLE_FOR_MS);
    expect(unreliableToolModels(m, 0.5, 3_001 + UNRELIABLE_FOR_MS)).toEqual(new Set(["qwen"]));
    expect(toolsUnreliable(m.qwen, 1, 3_001 + UNRELIABLE_FOR_MS)).toBe(false);
  });

  it("reports per model and kind, with the pass rates", () => {
    const m: Record<string, ModelChecks> = {};
    applyCheck(m, { model: "qwen", family: "structured", ok: true, repair: "json_unfenced" }, 1);
    applyCheck(m, { model: "qwen", family: "structured", ok: false, check: "json_schema" }, 2);
    expect(checksReport(m, 0.5, 3)).toEqual({
      qwen: { tools: null, structured: { checked: 2, passed: 1, repaired: 1, pass_rate: 0.5, recent_pass_rate: null, failed: { json_schema: 1 } }, unreliable_tools: false },
    });
  });
});

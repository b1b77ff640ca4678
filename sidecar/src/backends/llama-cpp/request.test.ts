import { describe, expect, it } from "vitest";
import type { ChatRequest } from "@hearth/shared";
import { DEFAULT_TEMPERATURE, finishReasonFor, planGeneration } from "./request.js";

const base: ChatRequest = { model: "local/m", messages: [{ role: "user", content: "hi" }] };
const tool = { type: "function" as const, function: { name: "f", parameters: { type: "object", properties: {} } } };
const withTools = { id: "m", tools: true };
const noTools = { id: "m", tools: false };

describe("planGeneration continuing an answer", () => {
  it("ends the history with the model's turn begun with the text so far, which LlamaChat writes on from", () => {
    const plan = planGeneration(base, noTools, "Once upon a");
    expect(plan.history.at(-1)).toEqual({ type: "model", response: ["Once upon a"] });
    expect(planGeneration(base, noTools).history.at(-1)).toEqual({ type: "model", response: [] });
  });
});

describe("planGeneration", () => {
  it("maps sampling fields and defaults", () => {
    expect(planGeneration(base, noTools)).toMatchObject({
      maxTokens: undefined,
      temperature: DEFAULT_TEMPERATURE,
      topP: undefined,
      seed: undefined,
      stop: [],
      repeatPenalty: false,
      functions: undefined,
      json: undefined,
    });
    const plan = planGeneration({ ...base, max_completion_tokens: 7, max_tokens: 9, temperature: 0, top_p: 0.5, seed: 3, stop: "END" }, noTools);
    expect(plan).toMatchObject({ maxTokens: 7, temperature: 0, topP: 0.5, seed: 3, stop: ["END"] });
    expect(planGeneration({ ...base, stop: ["a", "b"] }, noTools).stop).toEqual(["a", "b"]);
  });

  it("maps positive penalties and ignores negative ones", () => {
    expect(planGeneration({ ...base, frequency_penalty: 0.5, presence_penalty: -1 }, noTools).repeatPenalty).toEqual({
      penalty: 1,
      frequencyPenalty: 0.5,
      presencePenalty: 0,
    });
  });

  it("offers tools to a model whose template supports them", () => {
    const plan = planGeneration({ ...base, tools: [tool], parallel_tool_calls: false }, withTools);
    expect(plan.functions).toEqual({ f: { params: { type: "object", properties: {} } } });
    expect(plan.maxParallelFunctionCalls).toBe(1);
  });

  it("does not offer tools when tool_choice is none", () => {
    expect(planGeneration({ ...base, tools: [tool], tool_choice: "none" }, noTools).functions).toBeUndefined();
  });

  it.each([
    ["tools on a model without a tool template", { tools: [tool] }, noTools],
    ["a forced tool_choice with a JSON response_format", { tools: [tool], tool_choice: "required" as const, response_format: { type: "json_object" as const } }, withTools],
    ["tools together with a JSON response_format", { tools: [tool], response_format: { type: "json_object" as const } }, withTools],
  ])("refuses %s as unsupported", (_, extra, model) => {
    expect(() => planGeneration({ ...base, ...extra }, model)).toThrow(expect.objectContaining({ code: "unsupported" }));
  });

  it("plans a forced tool_choice as the call's JSON schema, even on a model without a tool template", () => {
    const plan = planGeneration({ ...base, tools: [tool], tool_choice: { type: "function", function: { name: "f" } } }, noTools);
    expect(plan.functions).toBeUndefined();
    expect(plan.json).toEqual({ kind: "json_schema", schema: { type: "object", properties: {} } });
    expect(plan.forced?.tools.map((t) => t.function.name)).toEqual(["f"]);
    expect(plan.history[0]).toMatchObject({ type: "system", text: expect.stringContaining("Call the function f now.") });
  });

  it("asks for a JSON grammar when the response format is JSON", () => {
    expect(planGeneration({ ...base, response_format: { type: "json_object" } }, noTools).json).toEqual({ kind: "json" });
    const schema = { type: "object", properties: { a: { type: "number" } } };
    expect(planGeneration({ ...base, response_format: { type: "json_schema", json_schema: { name: "s", schema } } }, noTools).json).toEqual({
      kind: "json_schema",
      schema,
    });
    expect(planGeneration({ ...base, response_format: { type: "text" } }, noTools).json).toBeUndefined();
  });
});

describe("finishReasonFor", () => {
  it("maps node-llama-cpp's stop reasons", () => {
    expect(finishReasonFor("eogToken", 0)).toBe("stop");
    expect(finishReasonFor("stopGenerationTrigger", 0)).toBe("stop");
    expect(finishReasonFor("customStopTrigger", 0)).toBe("stop");
    expect(finishReasonFor("maxTokens", 0)).toBe("length");
    expect(finishReasonFor("functionCalls", 2)).toBe("tool_calls");
  });
  it("treats an abort as a cancellation, not a finish", () => {
    expect(() => finishReasonFor("abort", 0)).toThrow(expect.objectContaining({ code: "cancelled" }));
  });
});

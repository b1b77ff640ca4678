import { describe, expect, it } from "vitest";
import type { ChatMessage, ChatRequest } from "../openai/request.js";
import { requestFlags, textSignals } from "./features.js";
import { estimateTextTokens } from "./tokens.js";
import { WINDOW, readWindow } from "./window.js";

type UserContent = Extract<ChatMessage, { role: "user" }>["content"];
const user = (content: UserContent): ChatMessage => ({ role: "user", content });
const req = (over: Partial<ChatRequest> = {}): ChatRequest => ({ model: "m", messages: [user("What is the capital of France?")], ...over });
const tool = (name: string) => ({ type: "function" as const, function: { name, parameters: { type: "object" } } });

describe("requestFlags", () => {
  it("sees no tools, images or JSON in a plain request", () => {
    expect(requestFlags(req())).toMatchObject({ toolCount: 0, toolChoiceForced: false, hasImages: false, wantsJson: false });
  });
  it("counts tools; auto or no choice is not forced", () => {
    expect(requestFlags(req({ tools: [tool("a"), tool("b")] }))).toMatchObject({ toolCount: 2, toolChoiceForced: false });
    expect(requestFlags(req({ tools: [tool("a")], tool_choice: "auto" })).toolChoiceForced).toBe(false);
    expect(requestFlags(req({ tools: [tool("a")], tool_choice: "none" })).toolChoiceForced).toBe(false);
  });
  it("treats 'required' and a named function as forced", () => {
    expect(requestFlags(req({ tools: [tool("a")], tool_choice: "required" })).toolChoiceForced).toBe(true);
    expect(requestFlags(req({ tools: [tool("a")], tool_choice: { type: "function", function: { name: "a" } } })).toolChoiceForced).toBe(true);
  });
  it("finds image parts and prices them as tokens", () => {
    const withImage = req({ messages: [user([{ type: "text", text: "what is this?" }, { type: "image_url", image_url: { url: "https://x/a.png", detail: "low" } }])] });
    const flags = requestFlags(withImage);
    expect(flags.hasImages).toBe(true);
    expect(flags.promptTokens).toBeGreaterThan(85);
  });
  it("reads response_format", () => {
    expect(requestFlags(req({ response_format: { type: "json_object" } })).wantsJson).toBe(true);
    expect(requestFlags(req({ response_format: { type: "json_schema", json_schema: { name: "x", schema: {} } } })).wantsJson).toBe(true);
    expect(requestFlags(req({ response_format: { type: "text" } })).wantsJson).toBe(false);
  });
  it("counts tool definitions towards the prompt", () => {
    expect(requestFlags(req({ tools: [tool("lookup_weather")] })).promptTokens).toBeGreaterThan(requestFlags(req()).promptTokens);
  });
});

describe("estimateTextTokens", () => {
  it("counts words, digit groups and punctuation", () => {
    expect(estimateTextTokens("")).toBe(0);
    expect(estimateTextTokens("hello world")).toBe(2);
    expect(estimateTextTokens("123456789")).toBe(3);
    expect(estimateTextTokens("你好世界")).toBe(3);
  });
  it("never decreases as text is appended", () => {
    const text = "Why does `f(x)` return None?\n```python\nfor i in range(10):\n    print(i ** 2)  # 0, 1, 4…\n```\nПривет, 你好! données_été 123456";
    let last = 0;
    for (let i = 0; i <= text.length; i++) {
      const t = estimateTextTokens(text.slice(0, i));
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
    }
  });
  it("grows with the prompt, roughly linearly", () => {
    const para = "The quick brown fox jumps over the lazy dog near the river bank. ";
    const one = estimateTextTokens(para);
    // One paragraph rounds its fractional punctuation cost up; a hundred round once.
    expect(estimateTextTokens(para.repeat(100))).toBeGreaterThanOrEqual(95 * one);
    expect(estimateTextTokens(para.repeat(100))).toBeLessThanOrEqual(100 * one);
  });
});

describe("textSignals", () => {
  it("finds fences, code lines and inline code", () => {
    const s = textSignals(["Why?\n```js\nconst x = 1;\nif (x) {\n  run();\n}\n```\nand `y`"]);
    expect(s.fences).toBe(2);
    expect(s.codeLines).toBeGreaterThanOrEqual(3);
    expect(s.inlineCode).toBeGreaterThanOrEqual(1);
  });
  it("finds math notation and reasoning cues", () => {
    const s = textSignals(["Prove that x^2 + 1 > 0, step by step, and justify each step."]);
    expect(s.mathNotation).toBe(true);
    expect(s.reasoningCues).toEqual(["prove", "step by step", "justify"]);
  });
  it("counts asks and constraints", () => {
    const s = textSignals(["1. What is it?\n2. Why?\n3. How? Answer in exactly 3 lines, without jargon."]);
    expect(s.parts).toBe(3);
    expect(s.constraints).toBe(2);
  });
  it("counts marks of formal notation: LaTeX commands, $, ^, _ and math symbols", () => {
    expect(textSignals(["Let $f(x) = x^2$ and compute \\sum_{k} \\frac{1}{k} for k ≤ 10 × 2."]).notation).toBe(8);
    // A backslash before a non-letter is not a command; a grade-school word problem has none.
    expect(textSignals(["C:\\ 12 apples, 3 boxes: how many each?"]).notation).toBe(0);
  });
  it("finds nothing in a greeting", () => {
    expect(textSignals(["hi!"])).toMatchObject({ fences: 0, codeLines: 0, mathNotation: false, notation: 0, reasoningCues: [], constraints: 0 });
  });
});

describe("readWindow", () => {
  it("reads a long last message by its head and tail only", () => {
    const long = `summarise this:\n${"lorem ipsum dolor sit amet ".repeat(5000)}\nthanks`;
    const win = readWindow([user(long)]);
    const read = win.segments.reduce((n, s) => n + s.text.length, 0);
    expect(read).toBe(WINDOW.lastHead + WINDOW.lastTail);
    expect(win.segments[0]?.text.startsWith("summarise this")).toBe(true);
    expect(win.segments.at(-1)?.text.endsWith("thanks")).toBe(true);
    expect(win.lastChars).toBe(long.length);
  });
  it("weighs the last user message most and keeps only a few earlier turns", () => {
    const turns = Array.from({ length: 10 }, (_, i) => (i % 2 ? { role: "assistant" as const, content: `a${i}` } : user(`u${i}`)));
    const win = readWindow([{ role: "system", content: "be brief" }, ...turns, user("last")]);
    expect(win.segments.map((s) => s.text)).toEqual(["be brief", "u6", "a7", "u8", "a9", "last"]);
    expect(win.segments.at(-1)).toMatchObject({ last: true, weight: 1 });
    expect(win.userTurns).toBe(6);
  });
  it("uses the last user message even when a tool result follows it", () => {
    const win = readWindow([user("weather in Oslo?"), { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "w", arguments: "{}" } }] }, { role: "tool", content: "3°C", tool_call_id: "c1" }]);
    expect(win.segments.at(-1)?.text).toBe("weather in Oslo?");
  });
});

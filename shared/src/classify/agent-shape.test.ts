import { describe, expect, it } from "vitest";
import type { ChatMessage, ChatRequest } from "../openai/request.js";
import { agentShape } from "./agent-shape.js";
import { estimateTextTokens } from "./tokens.js";

const tool = (name: string) => ({ type: "function" as const, function: { name, parameters: { type: "object" } } });
const CC_TOOLS = ["Task", "Bash", "Glob", "Grep", "LS", "Read", "Edit", "MultiEdit", "Write", "WebFetch", "TodoWrite"].map(tool);
const SYSTEM: ChatMessage = { role: "system", content: "You are Claude Code, Anthropic's official CLI for Claude." };
const shapeOf = (req: ChatRequest, clientModel?: string) => {
  const tokens = req.messages.reduce((n, m) => n + estimateTextTokens(typeof m.content === "string" ? m.content : ""), 0);
  return agentShape({ req, promptTokens: tokens, ...(clientModel ? { clientModel } : {}) });
};

describe("agentShape", () => {
  it("a short call to a small model without tools is background", () => {
    const req: ChatRequest = { model: "auto", messages: [{ role: "system", content: "Analyze if this message indicates a new conversation topic. Respond with JSON." }, { role: "user", content: "fix the failing test in utils" }] };
    const got = shapeOf(req, "claude-3-5-haiku-20241022");
    expect(got.shape).toBe("background");
    expect(got.evidence).toContain("small model name claude-3-5-haiku-20241022");
    // The same call under a large model name is not background.
    expect(shapeOf(req, "claude-sonnet-4-5").shape).toBe("none");
  });

  it("a long conversation ending in a summary ask, without tools, is compaction", () => {
    const turns: ChatMessage[] = Array.from({ length: 12 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `step ${i}: edited src/file${i}.ts` }) as ChatMessage);
    const req: ChatRequest = { model: "auto", messages: [SYSTEM, ...turns, { role: "user", content: "Your task is to create a detailed summary of the conversation so far." }] };
    expect(shapeOf(req, "claude-sonnet-4-5").shape).toBe("compaction");
    // With tools offered it is a turn, not a compaction.
    expect(shapeOf({ ...req, tools: CC_TOOLS }).shape).toBe("main");
  });

  it("many tools with Task is a main turn; agent tools without Task are a sub-agent", () => {
    const main: ChatRequest = { model: "auto", messages: [SYSTEM, { role: "user", content: "list the files in src" }], tools: CC_TOOLS };
    expect(shapeOf(main).shape).toBe("main");
    expect(shapeOf(main).evidence).toContain("11 tools incl. Task");
    const sub: ChatRequest = { ...main, messages: [{ role: "system", content: "You are an agent for Claude Code. Search the code." }, main.messages[1] as ChatMessage], tools: CC_TOOLS.slice(1, 5) };
    expect(shapeOf(sub).shape).toBe("subagent");
  });

  it("ordinary chat is none", () => {
    expect(shapeOf({ model: "gpt-4o-mini", messages: [{ role: "user", content: "what is a monad?" }], tools: [tool("search")] }).shape).toBe("none");
    expect(shapeOf({ model: "auto", messages: [{ role: "user", content: "hello" }] }).shape).toBe("none");
  });
});

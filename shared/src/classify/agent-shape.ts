/**
 * Coding-agent request shapes, recognised from the request alone — the client's model name, the head
 * of the system prompt, the tool list and the size — never from stored prompt text. Claude Code
 * sends four kinds of call, and each wants different handling:
 * - `background`: titles, summaries of a line, "is this a new topic?" — a small model (Haiku-class
 *   name), no tools, short. Home answers these as well as anyone.
 * - `compaction`: the conversation so far, to be summarised into a fresh context — long, no tools
 *   needed, the last ask is "summarise". The cheapest target whose context holds it will do.
 * - `subagent`: a task handed to a helper agent — tools, but not the main agent's `Task` tool.
 * - `main`: the main agent's turn — many tools (with `Task` in Claude Code), a long context.
 * `none`: not a recognisable agent call.
 */
import { contentText, type ChatRequest } from "../openai/request.js";

export const AGENT_SHAPES = ["background", "compaction", "subagent", "main", "none"] as const;
export type AgentShape = (typeof AGENT_SHAPES)[number];

export interface ShapeInput {
  req: ChatRequest;
  promptTokens: number;
  /** The model name the client sent, before any mapping (e.g. `claude-3-5-haiku-…` on /v1/messages). */
  clientModel?: string;
}

const SMALL_MODEL = /haiku|[-_.:]mini\b|[-_.:]nano\b|[-_.:]small\b|flash-lite|[-_.:]lite\b/i;
const AGENT_SYSTEM = /claude code|claude agent sdk|interactive cli tool|you are an agent for/i;
const SUMMARY_ASK = /\b(summar(?:y|ise|ize)|compact(?:ion)?)\b/i;
/** Characters of the system prompt and the last message read for markers. */
const HEAD = 2048;

/** Thresholds, with why: background calls are a few hundred tokens; compaction carries a session. */
export const SHAPE_LIMITS = { backgroundMaxTokens: 4096, compactionMinTokens: 8192, compactionMinMessages: 8, mainMinTools: 8 } as const;

function systemHead(req: ChatRequest): string {
  const sys = req.messages.find((m) => m.role === "system" || m.role === "developer");
  return sys ? contentText(sys.content).slice(0, HEAD) : "";
}

function lastUserTail(req: ChatRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i];
    if (m?.role === "user") {
      const t = contentText(m.content);
      return t.length > HEAD ? t.slice(t.length - HEAD) : t;
    }
  }
  return "";
}

export function agentShape(x: ShapeInput): { shape: AgentShape; evidence: string[] } {
  const { req, promptTokens } = x;
  const model = x.clientModel ?? req.model;
  const tools = req.tools ?? [];
  const names = new Set(tools.map((t) => t.function.name));
  const agentSystem = AGENT_SYSTEM.test(systemHead(req));
  const ev: string[] = [];
  if (agentSystem) ev.push("agent system prompt");
  const long = promptTokens >= SHAPE_LIMITS.compactionMinTokens || req.messages.length >= SHAPE_LIMITS.compactionMinMessages;
  if (tools.length === 0 && long && SUMMARY_ASK.test(lastUserTail(req))) {
    return { shape: "compaction", evidence: [...ev, `~${promptTokens} tokens, ${req.messages.length} messages`, "asks for a summary", "no tools"] };
  }
  if (tools.length === 0 && SMALL_MODEL.test(model) && promptTokens < SHAPE_LIMITS.backgroundMaxTokens) {
    return { shape: "background", evidence: [...ev, `small model name ${model}`, "no tools", `~${promptTokens} tokens`] };
  }
  if (tools.length > 0 && (names.has("Task") || tools.length >= SHAPE_LIMITS.mainMinTools)) {
    return { shape: "main", evidence: [...ev, `${tools.length} tools${names.has("Task") ? " incl. Task" : ""}`, `~${promptTokens} tokens`] };
  }
  if (tools.length > 0 && agentSystem) return { shape: "subagent", evidence: [...ev, `${tools.length} tools, no Task`] };
  return { shape: "none", evidence: [] };
}

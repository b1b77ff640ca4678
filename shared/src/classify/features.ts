/**
 * Deterministic features: what the request asks of the target (tools, images, JSON) and cheap
 * signals in the text of the last user message (code, math notation, asks and constraints).
 * Everything here is exact or a documented heuristic; the learned part lives in model.ts.
 */
import type { ChatMessage, ChatRequest } from "../openai/request.js";
import { estimateTextTokens } from "./tokens.js";

/** Chat formats wrap each message in a few tokens of role markup. */
const TOKENS_PER_MESSAGE = 4;
/** OpenAI's price for an image: 85 tokens at low detail, 765 for a 1024×1024 image at high/auto. */
const IMAGE_TOKENS = { low: 85, other: 765 } as const;

export interface RequestFlags {
  /** Estimated prompt tokens, tool definitions and images included (see tokens.ts). */
  promptTokens: number;
  toolCount: number;
  /** `tool_choice` is "required" or names a function: the answer must be a tool call. */
  toolChoiceForced: boolean;
  hasImages: boolean;
  /** `response_format` is json_object or json_schema. */
  wantsJson: boolean;
}

function messageTokens(m: ChatMessage): { tokens: number; images: number } {
  let tokens = TOKENS_PER_MESSAGE;
  let images = 0;
  const content = m.content;
  if (typeof content === "string") tokens += estimateTextTokens(content);
  else if (content) {
    for (const part of content) {
      if (part.type === "text") tokens += estimateTextTokens(part.text);
      else if (part.type === "refusal") tokens += estimateTextTokens(part.refusal);
      else if (part.type === "image_url") {
        images++;
        tokens += part.image_url.detail === "low" ? IMAGE_TOKENS.low : IMAGE_TOKENS.other;
      }
    }
  }
  if (m.role === "assistant" && m.tool_calls) {
    for (const call of m.tool_calls) tokens += estimateTextTokens(call.function.name) + estimateTextTokens(call.function.arguments);
  }
  return { tokens, images };
}

export function requestFlags(req: ChatRequest): RequestFlags {
  let promptTokens = 3; // the assistant reply's priming
  let images = 0;
  for (const m of req.messages) {
    const t = messageTokens(m);
    promptTokens += t.tokens;
    images += t.images;
  }
  const tools = req.tools ?? [];
  // Tool schemas are sent to the model as text; their JSON is a fair stand-in for that text.
  if (tools.length > 0) promptTokens += estimateTextTokens(JSON.stringify(tools));
  const choice = req.tool_choice;
  const toolChoiceForced = tools.length > 0 && (choice === "required" || (typeof choice === "object" && choice !== null));
  const format = req.response_format?.type;
  return { promptTokens, toolCount: tools.length, toolChoiceForced, hasImages: images > 0, wantsJson: format === "json_object" || format === "json_schema" };
}

export interface TextSignals {
  chars: number;
  lines: number;
  /** Occurrences of ``` (a fenced block has two). */
  fences: number;
  /** `inline code` spans. */
  inlineCode: number;
  /** Lines that look like code: keywords at line start, or ending in ; { } (see CODE_LINE). */
  codeLines: number;
  /** Share of chars that are brackets, braces, ; = < > (code is ~5–15%, prose < 1%). */
  symbolRatio: number;
  digitRatio: number;
  /** LaTeX, unicode math symbols, or arithmetic/algebra written out ("3x + 7 = 22", "x^2"). */
  mathNotation: boolean;
  /** Words that ask for reasoning: prove, derive, step by step, … (distinct, lower case, ≤ 3). */
  reasoningCues: string[];
  /** Separate asks: the larger of list items and question marks. */
  parts: number;
  /** Constraint phrases: must, exactly, at least, without, … */
  constraints: number;
}

const CODE_LINE = /^[ \t]*(?:def |class |import |from \S+ import |function\b|const |let |var |return\b|#include|select\b|fn |func |public |private |package |if \(|for \(|while \()|[;{}][ \t]*$/gim;
const INLINE_CODE = /`[^`\n]+`/g;
const MATH = /\\(?:frac|int|sum|sqrt|lim|cdot|infty|mathbb|binom)\b|\$[^$\n]{1,80}\$|[∫∑∏√π≤≥≠∞∈∀∃∂×÷±]|[a-z0-9)]\s*\^\s*[a-z0-9(]|\b\d+(?:\.\d+)?\s*[-+*/=]\s*\d|\b\d*[a-z]\s*[-+=]\s*\d+\b/i;
const REASONING = /\b(prove|proof|show that|step[- ]by[- ]step|derive|justify|rigorous(?:ly)?|explain why|trade-?offs?|optimi[sz]e|analy[sz]e|compare|design)\b/gi;
const LIST_ITEM = /^[ \t]*(?:\d{1,2}[.)]|[-*•])[ \t]+\S/gm;
const CONSTRAINT = /\b(must|exactly|at least|at most|no more than|fewer than|less than|without|only|don'?t|do not|avoid|under \d+|in \d+ words)\b/gi;

function countMatches(re: RegExp, text: string): number {
  re.lastIndex = 0;
  let n = 0;
  while (re.exec(text)) n++;
  return n;
}

function reasoningCues(text: string): string[] {
  const cues: string[] = [];
  REASONING.lastIndex = 0;
  for (let m = REASONING.exec(text); m && cues.length < 3; m = REASONING.exec(text)) {
    const cue = (m[1] ?? "").toLowerCase();
    if (!cues.includes(cue)) cues.push(cue);
  }
  return cues;
}

export function textSignals(text: string): TextSignals {
  let lines = 1;
  let symbols = 0;
  let digits = 0;
  let questions = 0;
  let fences = 0;
  let ticks = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) lines++;
    else if (c >= 48 && c <= 57) digits++;
    else if (c === 63 || c === 0xff1f) questions++;
    else if (c === 123 || c === 125 || c === 40 || c === 41 || c === 91 || c === 93 || c === 59 || c === 61 || c === 60 || c === 62) symbols++;
    if (c === 96) {
      if (++ticks === 3) fences++;
    } else ticks = 0;
  }
  const n = Math.max(1, text.length);
  return {
    chars: text.length,
    lines,
    fences,
    inlineCode: countMatches(INLINE_CODE, text),
    codeLines: countMatches(CODE_LINE, text),
    symbolRatio: symbols / n,
    digitRatio: digits / n,
    mathNotation: MATH.test(text),
    reasoningCues: reasoningCues(text),
    parts: Math.max(countMatches(LIST_ITEM, text), questions),
    constraints: countMatches(CONSTRAINT, text),
  };
}

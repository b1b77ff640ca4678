/**
 * Deterministic features: what the request asks of the target (tools, images, JSON) and cheap
 * signals in the text of the last user message (code, math notation, asks and constraints).
 * Everything here is exact or a documented heuristic; the learned part lives in model.ts. The
 * phrase lists (reasoning cues, constraints) are English: in other languages only the char-level
 * signals (fences, symbols, digits, math notation) fire, and the n-gram model carries the rest.
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
  /**
   * Marks of formal notation: LaTeX commands (`\frac`), `$`, `^`, `_`, and math symbols (U+2200–22FF,
   * × ÷ ± π). Grade-school word problems have none; competition problems have several per sentence.
   */
  notation: number;
  /** Words that ask for reasoning: prove, derive, step by step, … (distinct, lower case, ≤ 3). */
  reasoningCues: string[];
  /** Separate asks: the larger of list items and question marks. */
  parts: number;
  /** Constraint phrases: must, exactly, at least, without, … */
  constraints: number;
}

const CODE_LINE = /^[ \t]*(?:def |class |import |from \S+ import |function\b|const |let |var |return\b|#include|select\b|fn |func |public |private |package |if \(|for \(|while \()|[;{}][ \t]*$/gim;
const INLINE_CODE = /`[^`\n]+`/g;
// Each branch starts with a rare char (\\, $, a math symbol, ^, a digit), so the scan skips fast.
const MATH = /\\(?:frac|int|sum|sqrt|lim|cdot|infty|mathbb|binom)\b|\$[^$\n]{1,80}\$|[∫∑∏√π≤≥≠∞∈∀∃∂×÷±^]|\d\s*[-+*/=]\s*[\d(]|\d[a-z]\b\s*[-+=]/i;
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

// ASCII chars the signal scan counts; everything else is 0.
const NEWLINE = 1;
const DIGIT = 2;
const QUESTION = 3;
const SYMBOL = 4;
const BACKTICK = 5;
const NOTATION = 6; // $ ^ _
const BACKSLASH = 7; // notation when a letter follows (a LaTeX command)
const ASCII = new Uint8Array(128);
ASCII[10] = NEWLINE;
ASCII[63] = QUESTION;
ASCII[96] = BACKTICK;
for (let c = 48; c <= 57; c++) ASCII[c] = DIGIT;
for (const c of "{}()[];=<>") ASCII[c.charCodeAt(0)] = SYMBOL;
for (const c of "$^_") ASCII[c.charCodeAt(0)] = NOTATION;
ASCII[92] = BACKSLASH;

/** Math symbols outside ASCII: the Mathematical Operators block and × ÷ ± π. */
const isMathSymbol = (c: number): boolean => (c >= 0x2200 && c < 0x2300) || c === 0xd7 || c === 0xf7 || c === 0xb1 || c === 0x3c0;

interface Counts {
  lines: number;
  symbols: number;
  digits: number;
  questions: number;
  fences: number;
  notation: number;
}

function countChars(text: string, into: Counts): void {
  let ticks = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const k = c < 128 ? (ASCII[c] ?? 0) : c === 0xff1f ? QUESTION : 0;
    if (k === 0) {
      ticks = 0;
      if (c >= 128 && isMathSymbol(c)) into.notation++;
      continue;
    }
    if (k === BACKTICK) {
      if (++ticks === 3) into.fences++;
      continue;
    }
    ticks = 0;
    if (k === NOTATION) into.notation++;
    else if (k === BACKSLASH) {
      const next = text.charCodeAt(i + 1) | 32; // lower-cased if a letter; NaN | 32 is 32
      if (next >= 97 && next <= 122) into.notation++;
    } else if (k === NEWLINE) into.lines++;
    else if (k === DIGIT) into.digits++;
    else if (k === QUESTION) into.questions++;
    else into.symbols++;
  }
}

/** Signals of the last user message, read as the window's pieces of it (whole, or head and tail). */
export function textSignals(pieces: readonly string[]): TextSignals {
  const counts: Counts = { lines: 1, symbols: 0, digits: 0, questions: 0, fences: 0, notation: 0 };
  let chars = 0;
  let inlineCode = 0;
  let codeLines = 0;
  let mathNotation = false;
  let cues: string[] = [];
  let listItems = 0;
  let constraints = 0;
  for (const text of pieces) {
    chars += text.length;
    countChars(text, counts);
    inlineCode += countMatches(INLINE_CODE, text);
    codeLines += countMatches(CODE_LINE, text);
    mathNotation ||= MATH.test(text);
    if (cues.length < 3) cues = [...new Set([...cues, ...reasoningCues(text)])].slice(0, 3);
    listItems += countMatches(LIST_ITEM, text);
    constraints += countMatches(CONSTRAINT, text);
  }
  const n = Math.max(1, chars);
  return {
    chars,
    lines: counts.lines,
    fences: counts.fences,
    inlineCode,
    codeLines,
    symbolRatio: counts.symbols / n,
    digitRatio: counts.digits / n,
    mathNotation,
    notation: counts.notation,
    reasoningCues: cues,
    parts: Math.max(listItems, counts.questions),
    constraints,
  };
}

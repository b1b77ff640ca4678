/**
 * A tool call written as text, in the shapes home models emit — `{"name","arguments"}`,
 * `{"name","parameters"}` (Llama 3), `{"function":{"name","arguments"}}` (OpenAI's own, echoed), a
 * `<tool_call>…</tool_call>` wrapper (Qwen, Hermes), a `[TOOL_CALLS]` or `<|python_tag|>` prefix
 * (Mistral, Llama 3.1), `{"tool_calls":[…]}`, a list of any of these — in a fence or not. It becomes a
 * proper tool call only when every call names an offered tool and its arguments validate. Pure.
 */
import type { Contract } from "./contract.js";
import { findJson, isObject, tryParse } from "./json.js";
import { checkArguments } from "./tools.js";
import { fail, type AnswerToolCall, type CheckFailure } from "./types.js";

export type TextCallVerdict =
  /** The text is not a tool call (or names no offered tool): it stands as text. */
  | { kind: "text" }
  /** The text was a tool call: these calls, and the prose that was around them ("" when none). */
  | { kind: "calls"; calls: AnswerToolCall[]; text: string }
  /** It is a tool call (wrapped in tags, or naming an offered tool) that cannot be repaired exactly. */
  | { kind: "broken"; failure: CheckFailure };

interface Written {
  name: string;
  args: unknown;
}

const CALL_KEYS: ReadonlySet<string> = new Set(["name", "arguments", "parameters", "input", "id", "type", "call_id"]);
const ARG_KEYS = ["arguments", "parameters", "input"] as const;

/** One call in one of the known object shapes, or undefined. */
function shapeOf(v: unknown): Written | undefined {
  if (!isObject(v)) return undefined;
  if (isObject(v.function) && Object.keys(v).every((k) => k === "function" || k === "type" || k === "id")) return shapeOf(v.function);
  if (typeof v.name !== "string" || !Object.keys(v).every((k) => CALL_KEYS.has(k))) return undefined;
  const key = ARG_KEYS.find((k) => k in v);
  return { name: v.name, args: key ? v[key] : {} };
}

/** The calls a JSON value writes, if every part of it is one. */
function callsOf(v: unknown): Written[] | undefined {
  if (isObject(v) && Array.isArray(v.tool_calls) && Object.keys(v).length === 1) return callsOf(v.tool_calls);
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) return undefined;
  const out: Written[] = [];
  for (const item of list) {
    const s = shapeOf(item);
    if (!s) return undefined;
    out.push(s);
  }
  return out;
}

export type NewId = () => string;

/** Web Crypto, global in workerd and in Node ≥ 19; shared/ is typed without the DOM or Node libraries. */
const webCrypto = (globalThis as unknown as { crypto: { randomUUID(): string } }).crypto;

export const randomCallId: NewId = () => `call_${webCrypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;

const broken = (detail: string): TextCallVerdict => ({ kind: "broken", failure: fail("tool_call_as_text", detail) });

/** Written calls → proper ones, if each names an offered tool and its arguments validate. */
function toCalls(written: Written[], c: Contract, newId: NewId): AnswerToolCall[] | TextCallVerdict {
  const out: AnswerToolCall[] = [];
  for (const w of written) {
    const tool = c.tools.get(w.name);
    if (!tool) return broken("a tool call written as text names a tool that was not offered");
    const raw = typeof w.args === "string" ? w.args : JSON.stringify(w.args ?? {});
    const v = checkArguments(w.name, raw, tool);
    if (!v.ok) return broken(`written as text, and ${v.check}: ${v.detail}`);
    out.push({ id: newId(), type: "function", function: { name: w.name, arguments: v.args } });
  }
  return out;
}

const TAGGED = /<tool_call>([\s\S]*?)(?:<\/tool_call>|$)/g;
const PREFIX = /^\s*(?:\[TOOL_CALLS\]|<\|python_tag\|>)/;

/** `<tool_call>` blocks anywhere in the text: each must be a call; the prose outside stays as text. */
function tagged(text: string, c: Contract, newId: NewId): TextCallVerdict | undefined {
  if (!text.includes("<tool_call>")) return undefined;
  const written: Written[] = [];
  for (const m of text.matchAll(TAGGED)) {
    const body = (m[1] ?? "").trim().replace(/^```\w*\s*|\s*```$/g, "");
    const calls = callsOf(tryParse(body)?.value);
    if (!calls) return broken("a <tool_call> block that is not a call in a known shape");
    written.push(...calls);
  }
  const calls = toCalls(written, c, newId);
  return Array.isArray(calls) ? { kind: "calls", calls, text: text.replace(TAGGED, "").trim() } : calls;
}

export function textCall(text: string, c: Contract, newId: NewId = randomCallId): TextCallVerdict {
  const tags = tagged(text, c, newId);
  if (tags) return tags;
  const prefixed = PREFIX.test(text);
  const found = findJson(prefixed ? text.replace(PREFIX, "") : text);
  const written = found ? callsOf(found.value) : undefined;
  if (!found || !written) return prefixed ? broken("a tool-call prefix without a call in a known shape") : { kind: "text" };
  // Bare JSON naming no offered tool may be a plain JSON answer; leave it be.
  if (!prefixed && !written.some((w) => c.tools.has(w.name))) return { kind: "text" };
  const calls = toCalls(written, c, newId);
  return Array.isArray(calls) ? { kind: "calls", calls, text: found.around } : calls;
}

/**
 * While an answer streams: could the text so far still become a tool call written as text? Decided
 * from its first characters, so an ordinary answer is held back only for its first few characters
 * and a code block in another language is not held at all. Pure.
 */

export type Sniff = "call" | "prose" | "undecided";

const MARKERS = ["<tool_call>", "[TOOL_CALLS]", "<|python_tag|>"] as const;
/** Keys a call object begins with, in the shapes text-call.ts reads. */
const CALL_KEYS = ["name", "function", "tool_calls", "type", "id"];
/** Fence languages a written call comes in. */
const CALL_FENCES = ["", "json", "tool_call", "tool_code", "javascript", "js"];

/** `{ "name"` → call; `{ "answer"` → prose; `{ "na` → undecided. */
function objectStart(t: string): Sniff {
  const m = /^\{\s*(?:"([^"]*)("?))?/.exec(t);
  if (!m) return "prose";
  if (m[0].length === t.length && m[2] !== '"') {
    // Still inside the first key (or before it): undecided while it is a prefix of a call key.
    const key = m[1] ?? "";
    return CALL_KEYS.some((k) => k.startsWith(key)) ? "undecided" : "prose";
  }
  if (m[1] === undefined) return "prose";
  return CALL_KEYS.includes(m[1]) ? "call" : "prose";
}

/** Whether text beginning as `text` may be a tool call written as text. */
export function sniffCall(text: string): Sniff {
  const t = text.trimStart();
  if (t === "") return "undecided";
  for (const m of MARKERS) {
    if (t.startsWith(m)) return "call";
    if (m.startsWith(t)) return "undecided";
  }
  if (t.startsWith("```")) {
    const nl = t.indexOf("\n");
    if (nl < 0) return t.length < 24 ? "undecided" : "prose";
    const lang = t.slice(3, nl).trim().toLowerCase();
    return CALL_FENCES.includes(lang) ? sniffCall(t.slice(nl + 1)) : "prose";
  }
  if (t.startsWith("[")) {
    const rest = t.slice(1).trimStart();
    return rest === "" ? "undecided" : rest.startsWith("{") ? objectStart(rest) : "prose";
  }
  if (t.startsWith("{")) return objectStart(t);
  return "prose";
}

const TAG = "<tool_call>";

/**
 * Where in prose a `<tool_call>` tag begins (or may begin: a prefix of it at the very end), or -1.
 * Text before it can be sent; text from it is held.
 */
export function tagStart(text: string): number {
  const i = text.indexOf(TAG);
  if (i >= 0) return i;
  for (let k = Math.min(TAG.length - 1, text.length); k > 0; k--) if (text.endsWith(TAG.slice(0, k))) return text.length - k;
  return -1;
}

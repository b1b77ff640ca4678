/**
 * JSON as home models write it: bare, in a ``` fence with prose around it, or after a prose preamble
 * ("Here is the JSON:"). Finding it is an exact repair only when the JSON itself is untouched; nothing
 * here edits JSON (no trailing-comma fixes, no quote guessing). Pure.
 */

export interface FoundJson {
  value: unknown;
  /** The JSON's own text, as the model wrote it (trimmed). */
  text: string;
  /** How it was found: the whole text, inside a fence, or after a preamble. */
  how: "as_is" | "fence" | "preamble";
  /** The prose around it (trimmed): "" for as_is. */
  around: string;
}

export function tryParse(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** ```json … ``` (any info string), the fence alone on its lines. */
const FENCE = /(?:^|\n)[ \t]*```[\w+-]*[ \t]*\n([\s\S]*?)\n?[ \t]*```[ \t]*(?=\n|$)/g;

interface Fenced {
  body: string;
  /** Where the whole fence (its ``` lines included) starts and ends in the text. */
  start: number;
  end: number;
}

/** The text's fenced blocks. */
export function fencedBlocks(text: string): Fenced[] {
  const out: Fenced[] = [];
  for (const m of text.matchAll(FENCE)) out.push({ body: m[1] ?? "", start: m.index, end: m.index + m[0].length });
  return out;
}

/**
 * The answer's JSON: the whole text; else the one fenced block that parses (prose around the fence is
 * chatter); else the text from the first `{` or `[` that begins a line (else the first anywhere) to
 * its end.
 * At most a handful of JSON.parse calls, each on text the answer already holds.
 */
export function findJson(text: string): FoundJson | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  const whole = tryParse(t);
  if (whole) return { value: whole.value, text: t, how: "as_is", around: "" };
  const parsed = fencedBlocks(t).flatMap((f) => {
    const p = tryParse(f.body);
    return p ? [{ f, p }] : [];
  });
  const one = parsed.length === 1 ? parsed[0] : undefined;
  if (one) {
    const around = `${t.slice(0, one.f.start)}\n${t.slice(one.f.end)}`.trim();
    return { value: one.p.value, text: one.f.body.trim(), how: "fence", around };
  }
  // A preamble: the JSON begins a line (or, failing that, anywhere) and runs to the end.
  const starts = [/(?:^|\n)[ \t]*[{[]/.exec(t), /[{[]/.exec(t)].map((m) => (m ? m.index + m[0].length - 1 : -1));
  for (const from of new Set(starts)) {
    if (from <= 0) continue;
    const rest = t.slice(from);
    const p = tryParse(rest);
    if (p) return { value: p.value, text: rest, how: "preamble", around: t.slice(0, from).trim() };
  }
  return undefined;
}

export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

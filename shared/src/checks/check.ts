/**
 * Every check of a whole answer from home against what its request demanded, in order of root cause:
 * a loop, a cut by home's own limit, nothing at all; then the tool calls (or a call written as text,
 * or one that was required and is missing); then the JSON asked for. Exact repairs are returned as
 * the answer to send instead. Pure; the stream checker ends with this too.
 */
import { callForced, toolsOffered, type Contract } from "./contract.js";
import { loopInCutAnswer, type Loop } from "./repetition.js";
import { checkStructured } from "./structured.js";
import { textCall, randomCallId, type NewId } from "./text-call.js";
import { checkToolCalls } from "./tools.js";
import { fail, pass, type Answer, type CheckResult, type RepairCode } from "./types.js";

export interface CheckOptions {
  /** Ids for tool calls made from text. Default: `call_` and 24 random hex digits. */
  newId?: NewId;
  /** A loop a stream's detector already found (mid-stream or at the end). Default: looked for here when cut by length. */
  loop?: Loop;
}

const loopDetail = (l: Loop) => `a ${l.period}-character span repeated ${Math.floor(l.repeats)} times to the end`;

/** Degenerate answers: a loop, a cut by home's own limit, an empty answer. */
function degenerate(a: Answer, c: Contract, opts: CheckOptions): CheckResult {
  const cut = a.finishReason === "length";
  const loop = opts.loop ?? (cut ? loopInCutAnswer(a.text) : undefined);
  if (loop) return fail("repetition", loopDetail(loop));
  if (cut && !c.clientMaxTokens) return fail("context_cut", "finish_reason length, and the client set no max_tokens");
  if (!cut && a.text.trim() === "" && a.toolCalls.length === 0 && !a.refusal) return fail("empty", "no text, no tool call");
  return pass;
}

const repaired = (a: Answer, changes: Partial<Answer>, repair: RepairCode): CheckResult => ({ ok: true, repaired: { ...a, ...changes }, repair });

/** The answer's form: its calls, a call written as text, a required call, its JSON. */
function form(a: Answer, c: Contract, newId: NewId): CheckResult {
  if (a.toolCalls.length > 0) {
    const v = checkToolCalls(a.toolCalls, c);
    if (!v.ok) return v;
    return v.repair ? repaired(a, { toolCalls: v.calls }, v.repair) : pass;
  }
  if (a.refusal) return pass;
  if (c.format) {
    const s = checkStructured(a.text, c.format);
    if (s.ok) return s.repair ? repaired(a, { text: s.text }, s.repair) : pass;
    if (!toolsOffered(c)) return s;
  }
  if (toolsOffered(c)) {
    const t = textCall(a.text, c, newId);
    if (t.kind === "calls") {
      const v = checkToolCalls(t.calls, c);
      if (!v.ok) return v;
      return repaired(a, { text: t.text, toolCalls: v.calls, finishReason: "tool_calls" }, "tool_call_from_text");
    }
    if (t.kind === "broken") return t.failure;
    if (callForced(c)) return fail("tool_choice_ignored", `tool_choice ${typeof c.toolChoice === "object" ? c.toolChoice.name : c.toolChoice}, and the answer calls no tool`);
  }
  if (c.format) return checkStructured(a.text, c.format);
  return pass;
}

export function checkAnswer(a: Answer, c: Contract, opts: CheckOptions = {}): CheckResult {
  const d = degenerate(a, c, opts);
  if (!d.ok) return d;
  // Cut by the client's own max_tokens: a cloud answer would be cut as short, so its form is not held against it.
  if (a.finishReason === "length") return pass;
  return form(a, c, opts.newId ?? randomCallId);
}

/**
 * The checks on a streamed answer from home. Fed each chunk's delta, it says what may go to the
 * client now: plain text passes as it comes; tool-call deltas, JSON asked for by response_format and
 * text that may be a tool call written as text are held until the answer is whole and checked (they
 * are short); a loop is flagged as soon as the text so far ends in one. end() checks the whole answer
 * (check.ts) and returns what is still to be sent, repaired if need be. Pure.
 */
import { checkAnswer, type CheckOptions } from "./check.js";
import { callForced, toolsOffered, type Contract } from "./contract.js";
import { LoopDetector, type Loop } from "./repetition.js";
import { sniffCall, tagStart } from "./sniff.js";
import { fail, type Answer, type AnswerToolCall, type CheckFailure, type FinishReason, type RepairCode } from "./types.js";

/** A chunk's delta, as OpenAI's chat completion chunk carries it (only what is read here). */
export interface AnswerDelta {
  content?: string | null;
  refusal?: string | null;
  tool_calls?: readonly { index: number; id?: string; function?: { name?: string; arguments?: string } }[] | null;
}

export type Feed =
  /** Send the chunk as it came. */
  | { kind: "pass" }
  /** Send nothing of it now. */
  | { kind: "hold" }
  /** Send this text in its place ("" = nothing): held text let go, or the part before a held tag. Its tool-call deltas stay held. */
  | { kind: "text"; text: string }
  /** The text so far ends in a loop: end this attempt. */
  | { kind: "loop"; failure: CheckFailure; loop: Loop };

export type StreamEnd =
  /** `send`: what is left to send (text not yet sent, every tool call), repaired if `repair` says so. */
  | { ok: true; send: Answer; repair: RepairCode | undefined }
  | CheckFailure;

type Mode = "hold" | "sniff" | "prose" | "tagged";

const PASS: Feed = { kind: "pass" };
const HOLD: Feed = { kind: "hold" };

export class AnswerStreamChecker {
  /** The text, in the pieces it came in (joined once, at the end: slicing a `+=` string flattens it). */
  private readonly parts: string[] = [];
  /** Text not yet let through to the client (held). */
  private pending = "";
  /** How much text has been let through. */
  private sentChars = 0;
  private refusal = "";
  private refusalSent = false;
  private readonly calls: AnswerToolCall[] = [];
  private readonly loops = new LoopDetector();
  private mode: Mode;

  constructor(
    private readonly contract: Contract,
    private readonly opts: Pick<CheckOptions, "newId"> = {},
  ) {
    // JSON asked for, or a call required: any text may fail the check, so none goes out before it.
    this.mode = contract.format !== undefined || callForced(contract) ? "hold" : toolsOffered(contract) ? "sniff" : "prose";
  }

  feed(delta: AnswerDelta): Feed {
    for (const t of delta.tool_calls ?? []) this.addCall(t);
    const content = delta.content ?? "";
    if (content !== "") {
      this.parts.push(content);
      const loop = this.loops.push(content);
      if (loop) return { kind: "loop", loop, failure: fail("repetition", `a ${loop.period}-character span repeated ${Math.floor(loop.repeats)} times, mid-stream`) };
    }
    const release = this.release(content);
    this.sentChars += release.length;
    let refusalHeld = false;
    if (delta.refusal) {
      this.refusal += delta.refusal;
      refusalHeld = this.mode !== "prose";
      if (!refusalHeld) this.refusalSent = true;
    }
    if (release === content && !delta.tool_calls?.length && !refusalHeld) return PASS;
    return release === "" ? HOLD : { kind: "text", text: release };
  }

  /** Checks the whole answer; `finishReason` as the last chunk gave it. */
  end(finishReason: FinishReason | undefined): StreamEnd {
    const whole = this.whole(finishReason);
    const text = whole.text;
    const loop = finishReason === "length" ? this.loops.atLengthCut() : undefined;
    const r = checkAnswer(whole, this.contract, { ...this.opts, ...(loop ? { loop } : {}) });
    if (!r.ok) return r;
    const final = r.repaired ?? whole;
    const rest = remainder(text.slice(0, this.sentChars), final.text);
    if (rest === undefined) return fail("tool_call_as_text", "a tool call written as text after text already streamed");
    const send = { ...final, text: rest, refusal: this.refusalSent ? "" : (final.refusal ?? "") };
    return { ok: true, send, repair: r.repaired ? r.repair : undefined };
  }

  /** The whole answer so far, as it came. */
  whole(finishReason: FinishReason | undefined): Answer {
    return { text: this.parts.join(""), toolCalls: this.calls.filter(Boolean), finishReason, refusal: this.refusal };
  }

  /** What is held and not yet sent, as it came: what a failure passed on as it is still owes the client. */
  held(finishReason: FinishReason | undefined): Answer {
    return { text: this.parts.join("").slice(this.sentChars), toolCalls: this.calls.filter(Boolean), finishReason, refusal: this.refusalSent ? "" : this.refusal };
  }

  private addCall(t: NonNullable<AnswerDelta["tool_calls"]>[number]): void {
    const call = (this.calls[t.index] ??= { id: "", type: "function", function: { name: "", arguments: "" } });
    if (t.id) call.id = t.id;
    if (t.function?.name) call.function.name = t.function.name;
    call.function.arguments += t.function?.arguments ?? "";
  }

  /** The text that may go out now, given this delta's: held text let go with it, or less. */
  private release(content: string): string {
    if (this.mode === "prose" && this.pending === "" && !toolsOffered(this.contract)) return content;
    this.pending += content;
    if (this.mode === "sniff") {
      const s = sniffCall(this.pending);
      if (s === "call") this.mode = "hold";
      else if (s === "prose") this.mode = "prose";
    }
    if (this.mode !== "prose") return "";
    // Prose with tools offered: a <tool_call> tag (or the start of one) is held, and all after it.
    const at = tagStart(this.pending);
    if (at >= 0 && this.pending.startsWith("<tool_call>", at)) this.mode = "tagged";
    const out = at < 0 ? this.pending : this.pending.slice(0, at);
    this.pending = this.pending.slice(out.length);
    return out;
  }
}

/** What of `full` is still to send after `sent` went out; undefined when `full` does not continue it. */
export function remainder(sent: string, full: string): string | undefined {
  if (full.startsWith(sent)) return full.slice(sent.length);
  // The repaired text is trimmed: whitespace already sent around it is no difference.
  const s = sent.trim();
  const f = full.trim();
  if (f.startsWith(s)) return f.slice(s.length);
  return undefined;
}

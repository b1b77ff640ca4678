/**
 * The classifier pipeline, for any model: deterministic features, then the linear model over the
 * bounded window, then complexity and the evidence. index.ts binds it to the committed weights; the
 * training script runs it on weights it has just fitted.
 */
import type { ChatRequest } from "../openai/request.js";
import { complexity } from "./complexity.js";
import { requestFlags, textSignals, type RequestFlags, type TextSignals } from "./features.js";
import { TASK_KINDS, type TaskKind } from "./kinds.js";
import { LogitSink, type LinearModel } from "./model.js";
import { CONTEXT_SALT, denseFeatures, featurizeEnds, featurizeText, type FeatureSink } from "./ngrams.js";
import { SEGMENT_WEIGHT, readWindow, type Window } from "./window.js";

/** What Hearth knows about a request before choosing where to send it. */
export interface Classification {
  /** Estimated prompt tokens (tools and images included); see tokens.ts for the rule and its error. */
  promptTokens: number;
  /** The request offers tools. */
  hasTools: boolean;
  /** `tool_choice` is "required" or names a function. */
  toolChoiceForced: boolean;
  /** Some message has an image_url part. */
  hasImages: boolean;
  /** `response_format` asks for a JSON object or a JSON schema. */
  wantsJson: boolean;
  /** The most likely task kind. */
  kind: TaskKind;
  /** The model's probability for each kind; they sum to 1. */
  kindScores: Record<TaskKind, number>;
  /** How hard the request looks, 0–1; see complexity.ts for the formula. */
  complexity: number;
  /** Which features fired, in words, for traces and logs (never prompt text). */
  evidence: string[];
}

function evidence(flags: RequestFlags, s: TextSignals, win: Window, kind: TaskKind, scores: Record<TaskKind, number>): string[] {
  const out = [`n-gram model: ${kind} ${scores[kind].toFixed(2)}`];
  if (s.fences > 0) out.push("code fence");
  if (s.inlineCode > 0) out.push("inline code");
  if (s.codeLines > 0) out.push(`${s.codeLines} code-like line${s.codeLines > 1 ? "s" : ""}`);
  if (s.mathNotation) out.push("math notation");
  if (win.userTurns > 1) out.push(`${win.userTurns} turns`);
  for (const cue of s.reasoningCues) out.push(`cue: ${cue}`);
  if (s.parts > 1) out.push(`${s.parts}-part ask`);
  if (s.constraints > 0) out.push(`${s.constraints} constraint${s.constraints > 1 ? "s" : ""}`);
  if (flags.toolCount > 0) out.push(`${flags.toolCount} tool${flags.toolCount > 1 ? "s" : ""}`);
  if (flags.toolChoiceForced) out.push("tool choice forced");
  if (flags.hasImages) out.push("images");
  if (flags.wantsJson) out.push("JSON output");
  if (win.lastCharsRead < win.lastChars) out.push(`read ${win.lastCharsRead} of ${win.lastChars} chars of the last message`);
  out.push(`~${flags.promptTokens} tokens`);
  return out;
}

export interface Featurized {
  flags: RequestFlags;
  win: Window;
  signals: TextSignals;
}

/** Feeds every model feature of the request to the sink; shared by classify and the trainer. */
export function featurizeRequest(req: ChatRequest, sink: FeatureSink): Featurized {
  const flags = requestFlags(req);
  const win = readWindow(req.messages);
  const signals = textSignals(win.lastPieces);
  let contextFence = false;
  for (const seg of win.segments) {
    featurizeText(seg.text, seg.weight, sink, seg.last ? 0 : CONTEXT_SALT);
    if (!seg.last && seg.text.includes("```")) contextFence = true;
  }
  const pieces = win.lastPieces;
  featurizeEnds(pieces[0] ?? "", pieces[pieces.length - 1] ?? "", SEGMENT_WEIGHT.last, sink);
  const hasSystem = req.messages.some((m) => m.role === "system" || m.role === "developer");
  denseFeatures({ signals, contextFence, userTurns: win.userTurns, hasSystem }, sink);
  return { flags, win, signals };
}

/** The classification plus the signals it was made from, for estimates built on top (risk/). */
export interface Analysis {
  classification: Classification;
  signals: TextSignals;
  /** User turns in the conversation. */
  userTurns: number;
  /** Length of the last user message, in chars. */
  lastChars: number;
  /** The request has a system (or developer) message. */
  hasSystem: boolean;
  toolCount: number;
}

export function analyzeWith(model: LinearModel, req: ChatRequest): Analysis {
  const sink = new LogitSink(model);
  const { flags, win, signals } = featurizeRequest(req, sink);
  const probs = sink.probabilities();
  const kindScores = {} as Record<TaskKind, number>;
  let kind: TaskKind = TASK_KINDS[0];
  TASK_KINDS.forEach((k, i) => {
    kindScores[k] = probs[i] ?? 0;
    if (kindScores[k] > kindScores[kind]) kind = k;
  });
  const score = complexity({
    kindScores,
    promptTokens: flags.promptTokens,
    userTurns: win.userTurns,
    reasoningCues: signals.reasoningCues.length,
    parts: signals.parts,
    constraints: signals.constraints,
    notation: signals.notation,
    hasTools: flags.toolCount > 0,
    toolChoiceForced: flags.toolChoiceForced,
    wantsJson: flags.wantsJson,
    hasImages: flags.hasImages,
  });
  const classification: Classification = {
    promptTokens: flags.promptTokens,
    hasTools: flags.toolCount > 0,
    toolChoiceForced: flags.toolChoiceForced,
    hasImages: flags.hasImages,
    wantsJson: flags.wantsJson,
    kind,
    kindScores,
    complexity: score,
    evidence: evidence(flags, signals, win, kind, kindScores),
  };
  const hasSystem = req.messages.some((m) => m.role === "system" || m.role === "developer");
  return { classification, signals, userTurns: win.userTurns, lastChars: win.lastChars, hasSystem, toolCount: flags.toolCount };
}

export function classifyWith(model: LinearModel, req: ChatRequest): Classification {
  return analyzeWith(model, req).classification;
}

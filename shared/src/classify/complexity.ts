/**
 * How hard the request looks, in [0, 1]: a deterministic sum, clamped.
 *
 *   complexity = Σ_k p_k · KIND_BASE[k]                         0.05 chat … 0.38 code
 *              + 0.10 · log2(1 + tokens / 64) / log2(1 + 16384 / 64)   length, 0.10 at 16k tokens
 *              + (p_math + p_reasoning) · ( 0.30 · min(1, log2(1 + tokens / 16) / log2(1 + 64))
 *                                          + 0.15 · min(1, notation / 4) )
 *                  a math or logic problem is harder the longer it is (0.30 at 1k tokens) and the
 *                  more formal notation it carries (LaTeX commands, $, ^, _, ∑ ≤ × …; full at 4)
 *              + 0.15 + 0.05 · (cues − 1)   if any reasoning cue ("prove", "step by step", …)
 *              + 0.04 · min(3, parts − 1)                        several asks or list items
 *              + 0.03 · min(4, constraints)                      "exactly", "without", "at most", …
 *              + 0.10 · min(1, (userTurns − 1) / 5)              long conversations
 *              + 0.05 each for tools, forced tool choice, JSON output, images
 *
 * The kind terms use the model's probabilities, not the argmax, so a prompt the model is unsure
 * about does not jump between levels. The weights were chosen on half of the public corpus
 * (scripts/eval-classifier.ts, split by id hash) so that GSM8K < MATH level 1 < … < level 5 in rank,
 * `hard-to-cloud` (≥ 0.5) fires on most MATH level 4–5 and LSAT problems and almost never on
 * greetings, knowledge questions, extraction or grade-school word problems, and home's larger
 * model (≥ 0.35, routing/local.ts) gets math, logic and code while chat stays on the smallest.
 * A greeting lands near 0.05, "summarise this" near 0.15, a GSM8K word problem near 0.4, a
 * competition problem with LaTeX near 0.5, a proof request near 0.6.
 */
import { TASK_KINDS, type TaskKind } from "./kinds.js";

export const KIND_BASE: Record<TaskKind, number> = { chat: 0.05, extraction: 0.12, creative: 0.15, code: 0.38, math: 0.25, reasoning: 0.27 };

export interface ComplexityInput {
  kindScores: Record<TaskKind, number>;
  promptTokens: number;
  userTurns: number;
  reasoningCues: number;
  parts: number;
  constraints: number;
  /** Marks of formal notation in the last message (see TextSignals.notation). */
  notation: number;
  hasTools: boolean;
  toolChoiceForced: boolean;
  wantsJson: boolean;
  hasImages: boolean;
}

const LENGTH_FULL = Math.log2(1 + 16384 / 64);
const PROBLEM_FULL = Math.log2(1 + 1024 / 16);

export function complexity(c: ComplexityInput): number {
  let base = 0;
  for (const kind of TASK_KINDS) base += c.kindScores[kind] * KIND_BASE[kind];
  const length = 0.1 * Math.min(1, Math.log2(1 + c.promptTokens / 64) / LENGTH_FULL);
  const formal = c.kindScores.math + c.kindScores.reasoning;
  const problem = formal * (0.3 * Math.min(1, Math.log2(1 + c.promptTokens / 16) / PROBLEM_FULL) + 0.15 * Math.min(1, c.notation / 4));
  const reasoning = c.reasoningCues > 0 ? 0.15 + 0.05 * (c.reasoningCues - 1) : 0;
  const parts = 0.04 * Math.min(3, Math.max(0, c.parts - 1));
  const constraints = 0.03 * Math.min(4, c.constraints);
  const turns = 0.1 * Math.min(1, Math.max(0, c.userTurns - 1) / 5);
  const asks = 0.05 * (Number(c.hasTools) + Number(c.toolChoiceForced) + Number(c.wantsJson) + Number(c.hasImages));
  return Math.min(1, Math.max(0, base + length + problem + reasoning + parts + constraints + turns + asks));
}

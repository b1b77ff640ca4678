/**
 * How hard the request looks, in [0, 1]: a deterministic sum, clamped.
 *
 *   complexity = Σ_k p_k · KIND_BASE[k]                         0.05 chat … 0.35 math
 *              + 0.25 · log2(1 + tokens / 64) / log2(1 + 16384 / 64)   length, 0.25 at 16k tokens
 *              + 0.10 · min(1, (userTurns − 1) / 5)              long conversations
 *              + 0.20 + 0.05 · (cues − 1)   if any reasoning cue ("prove", "step by step", …)
 *              + 0.05 · min(3, parts − 1)                        several asks or list items
 *              + 0.03 · min(4, constraints)                      "exactly", "without", "at most", …
 *              + 0.10 if math notation (LaTeX, symbols, written-out algebra)
 *              + 0.05 each for tools, forced tool choice, JSON output, images
 *
 * The kind term uses the model's probabilities, not the argmax, so a prompt the model is unsure
 * about does not jump between levels. A greeting lands near 0.05–0.1, a proof request near 0.6.
 */
import { TASK_KINDS, type TaskKind } from "./kinds.js";

export const KIND_BASE: Record<TaskKind, number> = { chat: 0.05, extraction: 0.15, creative: 0.2, code: 0.3, math: 0.35, reasoning: 0.35 };

export interface ComplexityInput {
  kindScores: Record<TaskKind, number>;
  promptTokens: number;
  userTurns: number;
  reasoningCues: number;
  parts: number;
  constraints: number;
  /** LaTeX, math symbols or written-out algebra in the last message: formal mathematics. */
  mathNotation: boolean;
  hasTools: boolean;
  toolChoiceForced: boolean;
  wantsJson: boolean;
  hasImages: boolean;
}

const LENGTH_FULL = Math.log2(1 + 16384 / 64);

export function complexity(c: ComplexityInput): number {
  let base = 0;
  for (const kind of TASK_KINDS) base += c.kindScores[kind] * KIND_BASE[kind];
  const length = 0.25 * Math.min(1, Math.log2(1 + c.promptTokens / 64) / LENGTH_FULL);
  const turns = 0.1 * Math.min(1, Math.max(0, c.userTurns - 1) / 5);
  const reasoning = c.reasoningCues > 0 ? 0.2 + 0.05 * (c.reasoningCues - 1) : 0;
  const parts = 0.05 * Math.min(3, Math.max(0, c.parts - 1));
  const constraints = 0.03 * Math.min(4, c.constraints);
  const notation = c.mathNotation ? 0.1 : 0;
  const asks = 0.05 * (Number(c.hasTools) + Number(c.toolChoiceForced) + Number(c.wantsJson) + Number(c.hasImages));
  return Math.min(1, Math.max(0, base + length + turns + reasoning + parts + constraints + notation + asks));
}

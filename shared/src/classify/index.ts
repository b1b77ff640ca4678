/**
 * The request classifier: from an OpenAI chat request alone, what the router needs to know —
 * prompt size, tools, images, JSON output, the kind of task and how hard it looks — with the
 * evidence, in well under a millisecond and with no network.
 *
 * Deterministic features (features.ts, tokens.ts) plus a multinomial logistic regression over
 * hashed word and character n-grams (ngrams.ts, model.ts) whose weights are trained offline by
 * scripts/train-classifier.ts and committed in weights.ts. Long prompts are read through a bounded
 * window (window.ts), so the cost stops growing at a few KB of text; only the token estimate reads
 * everything.
 */
import type { ChatRequest } from "../openai/request.js";
import { analyzeWith, classifyWith, type Analysis, type Classification } from "./classifier.js";
import { modelFromWeights } from "./model.js";
import { WEIGHTS } from "./weights.js";

export type { Analysis, Classification } from "./classifier.js";
export { TASK_KINDS, type TaskKind } from "./kinds.js";
export { estimateTextTokens } from "./tokens.js";
export { AGENT_SHAPES, SHAPE_LIMITS, agentShape, type AgentShape } from "./agent-shape.js";

// Decoded once at module load (~40 KB of int8 weights).
const MODEL = modelFromWeights(WEIGHTS);

/** Classifies a request. Pure and deterministic: the same request always gives the same answer. */
export function classify(req: ChatRequest): Classification {
  return classifyWith(MODEL, req);
}

/** Classifies a request and keeps the signals behind it (for the home-risk estimate). */
export function analyze(req: ChatRequest): Analysis {
  return analyzeWith(MODEL, req);
}

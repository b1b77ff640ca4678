/**
 * Room for the answer in a home model's context. Home takes a request only when the prompt and the
 * answer both fit; when the client sets no max_tokens, Hearth keeps a default room free. When home
 * turns a request away for its context, this says by how much — and whether the prompt itself is too
 * long, or only the answer's room is, so the error can name the max_tokens that would fit. Pure.
 */
import type { LocalModel } from "../tunnel/protocol.js";
import { matchesPreference, type LocalFeatures, type SidecarView } from "./local.js";

/** Answer room kept free when the request sets no max_tokens. */
export const ANSWER_ROOM_DEFAULT = 256;
/** The most answer room a request's max_tokens reserves: a generous max_tokens must not rule home out. */
export const ANSWER_ROOM_CAP = 1024;

/** Tokens to keep free for the answer: the client's max_tokens (capped), else the default. */
export function answerReserve(maxTokens: number | undefined): number {
  return Math.min(maxTokens ?? ANSWER_ROOM_DEFAULT, ANSWER_ROOM_CAP);
}

/** Home left a request out for its context: the best it had, and what would have fitted. */
export interface ContextShortfall {
  /** The model with the largest context among those that may serve the request. */
  model: string;
  contextLength: number;
  /** The Worker's estimate of the prompt. */
  promptTokens: number;
  /** Answer room the request needed (see answerReserve). */
  reserveTokens: number;
  /** The largest max_tokens that model would take with this prompt: 0 when the prompt alone does not fit. */
  maxTokens: number;
}

/**
 * How far the request is from fitting home's largest context among the chat models that may serve it
 * (the named model, or those matching `prefs`). Undefined when there is no such model.
 */
export function contextShortfall(f: Pick<LocalFeatures, "promptTokens" | "reserveTokens" | "model">, sidecars: readonly SidecarView[], prefs?: readonly string[]): ContextShortfall | undefined {
  const eligible = (m: LocalModel) => m.chat !== false && (f.model ? m.id === f.model : !prefs?.length || prefs.some((p) => matchesPreference(m, p)));
  const models = sidecars.flatMap((s) => s.state.models.filter(eligible));
  const largest = models.reduce<LocalModel | undefined>((best, m) => (best === undefined || m.contextLength > best.contextLength ? m : best), undefined);
  if (!largest) return undefined;
  return {
    model: `local/${largest.id}`,
    contextLength: largest.contextLength,
    promptTokens: f.promptTokens,
    reserveTokens: f.reserveTokens,
    maxTokens: Math.max(0, largest.contextLength - f.promptTokens),
  };
}

/** The error's words for a shortfall: what does not fit, and the max_tokens that would (param names the field to change). */
export function shortfallMessage(s: ContextShortfall): { param: "messages" | "max_tokens"; says: string } {
  const prompt = `its prompt (~${s.promptTokens} tokens)`;
  const context = `${s.model}'s context of ${s.contextLength} tokens`;
  if (s.maxTokens === 0) return { param: "messages", says: `${prompt} is longer than ${context}, the largest of the models that may serve it` };
  return {
    param: "max_tokens",
    says:
      `${prompt} fits ${context}, but not with room for a ${s.reserveTokens}-token answer ` +
      `(Hearth keeps max_tokens free, at most ${ANSWER_ROOM_CAP}, or ${ANSWER_ROOM_DEFAULT} when max_tokens is not set): ` +
      `set max_tokens to ${s.maxTokens} or less, or serve a model with a longer context`,
  };
}

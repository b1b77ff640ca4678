/**
 * Choosing a local model on a connected sidecar: pure, from the request's features and the sidecars'
 * last reported state. Returns the choice, or the reason home cannot take this request now.
 */
import type { LocalModel, SidecarState } from "../tunnel/protocol.js";

export interface LocalFeatures {
  /** Estimated prompt tokens. */
  promptTokens: number;
  /** Tokens to leave room for in the context for the answer. */
  reserveTokens: number;
  /** The request offers tools the model may call. */
  needsTools: boolean;
  /** A specific model id (`local/<id>`), or undefined to let Hearth choose. */
  model?: string;
  /**
   * Home is the only target this request may use: a model that is loading, or a sidecar that is full,
   * is still chosen (marked `wait`) rather than refused — the request waits for it. Default: false.
   */
  wait?: boolean;
}

export interface SidecarView {
  sidecarId: string;
  state: SidecarState;
  /** Requests this Worker has in flight on it now. */
  inflight: number;
  /** Whether its circuit breaker lets a request through. */
  breakerAllows: boolean;
}

export type LocalRefusal =
  | "offline"
  | "draining"
  | "breaker_open"
  | "no_such_model"
  | "context_too_long"
  | "no_tool_support"
  | "loading"
  | "overloaded";

/** Refusals that pass: the request may wait them out when home is all it has. */
export type LocalWait = "loading" | "overloaded";

export type LocalChoice = { ok: true; sidecarId: string; model: LocalModel; wait?: LocalWait } | { ok: false; reason: LocalRefusal };


// When several reasons apply, report the one that says most about what to fix.
const PRIORITY: LocalRefusal[] = ["no_such_model", "context_too_long", "no_tool_support", "loading", "overloaded", "breaker_open", "draining", "offline"];

export function pickLocal(f: LocalFeatures, sidecars: readonly SidecarView[]): LocalChoice {
  if (sidecars.length === 0) return { ok: false, reason: "offline" };
  const refusals = new Set<LocalRefusal>();
  const candidates: { s: SidecarView; m: LocalModel }[] = [];
  const waitable: { s: SidecarView; m: LocalModel; wait: LocalWait }[] = [];
  for (const s of sidecars) {
    if (s.state.draining) {
      refusals.add("draining");
      continue;
    }
    // Embedding-only models (`chat: false`) never answer a chat.
    const chatModels = s.state.models.filter((m) => m.chat !== false);
    const models = f.model ? chatModels.filter((m) => m.id === f.model) : chatModels;
    // A sidecar whose only models embed has no model for this request, as one without the named model.
    if (models.length === 0) refusals.add(f.model || chatModels.length < s.state.models.length ? "no_such_model" : "offline");
    for (const m of models) {
      if (m.contextLength < f.promptTokens + f.reserveTokens) refusals.add("context_too_long");
      else if (f.needsTools && !m.tools) refusals.add("no_tool_support");
      else if (!s.breakerAllows) refusals.add("breaker_open");
      else if (s.state.loading.includes(m.id)) {
        refusals.add("loading");
        waitable.push({ s, m, wait: "loading" });
      } else if (s.inflight >= s.state.slots.total + s.state.queue.max) {
        refusals.add("overloaded");
        waitable.push({ s, m, wait: "overloaded" });
      } else candidates.push({ s, m });
    }
  }
  if (candidates.length === 0) {
    // Waiting for a load beats waiting for a slot: a load ends once, a queue may not drain.
    const w = f.wait ? (waitable.find((c) => c.wait === "loading") ?? waitable[0]) : undefined;
    if (w) return { ok: true, sidecarId: w.s.sidecarId, model: w.m, wait: w.wait };
    return { ok: false, reason: PRIORITY.find((r) => refusals.has(r)) ?? "offline" };
  }
  // Loaded beats cold (no load wait); a cold model that fits free memory beats one that would evict
  // others; then free capacity; then the larger (usually stronger) model.
  const roomy = (c: { s: SidecarView; m: LocalModel }) => Number(c.m.loaded || (c.m.sizeBytes ?? 0) <= c.s.state.freeMemoryBytes);
  candidates.sort(
    (a, b) =>
      Number(b.m.loaded) - Number(a.m.loaded) ||
      roomy(b) - roomy(a) ||
      (b.s.state.slots.total - b.s.inflight) - (a.s.state.slots.total - a.s.inflight) ||
      (b.m.sizeBytes ?? 0) - (a.m.sizeBytes ?? 0) ||
      a.m.id.localeCompare(b.m.id),
  );
  const best = candidates[0];
  return best ? { ok: true, sidecarId: best.s.sidecarId, model: best.m } : { ok: false, reason: "offline" };
}

// Names that say what a model is for, as model publishers spell them.
const NAME_TAGS: ReadonlyArray<[RegExp, string]> = [
  [/cod(e|er|estral|ellama)|starcoder|devstral|deepseek-coder/i, "code"],
  [/llava|vision|[-_.]vl\b|moondream|minicpm-v|pixtral/i, "vision"],
];

/** A model's tags: what its sidecar declared, else what its name says (`code`, `vision`). */
export function modelTags(m: Pick<LocalModel, "id" | "tags">): string[] {
  if (m.tags && m.tags.length > 0) return m.tags;
  return NAME_TAGS.filter(([re]) => re.test(m.id)).map(([, tag]) => tag);
}

/** Whether a model matches a preference: its id, or `tag:<tag>`, or `*`. */
export function matchesPreference(m: Pick<LocalModel, "id" | "tags">, pref: string): boolean {
  if (pref === "*") return true;
  if (pref.startsWith("tag:")) return modelTags(m).includes(pref.slice(4));
  return m.id === pref;
}

/**
 * pickLocal over each preference in turn (ids or `tag:<tag>`): the first preference some sidecar can
 * serve now wins. With no preferences, any model. The refusal reported is the first preference's.
 */
export function pickPreferred(f: LocalFeatures, sidecars: readonly SidecarView[], prefs: readonly string[] | undefined): LocalChoice {
  if (!prefs || prefs.length === 0) return pickLocal(f, sidecars);
  let first: LocalChoice | undefined;
  for (const pref of prefs) {
    const narrowed = sidecars.map((s) => ({ ...s, state: { ...s.state, models: s.state.models.filter((m) => matchesPreference(m, pref)) } }));
    if (narrowed.every((s) => s.state.models.length === 0)) continue;
    const choice = pickLocal(f, narrowed);
    if (choice.ok) return choice;
    first ??= choice;
  }
  return first ?? { ok: false, reason: sidecars.length === 0 ? "offline" : "no_such_model" };
}

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
  /**
   * How hard the request looks (the classifier's complexity, 0–1). With it, among models that can take
   * the request, a hard one goes to the largest and an easy one to the smallest (fastest) — unless
   * memory or load says otherwise. Without it, the largest.
   */
  complexity?: number;
  /** Complexity at which a request counts as hard. Default: DEFAULT_HARD_AT. */
  hardAt?: number;
  /**
   * Models whose recent tool answers failed their checks too often (stats/checks.ts): not offered a
   * request with tools, unless home is all it has (`wait`). Default: none.
   */
  unreliableTools?: ReadonlySet<string>;
}

/** Complexity from which home's largest model is preferred over its smallest (policy `localHardAt`). */
export const DEFAULT_HARD_AT = 0.35;

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
  | "unreliable_tools"
  | "loading"
  | "overloaded";

/** Refusals that pass: the request may wait them out when home is all it has. */
export type LocalWait = "loading" | "overloaded";

/**
 * Why this model of several of different sizes (the trace's `pick`): `easy` / `hard` — the smallest /
 * largest, by the request's difficulty; `memory` / `busy` / `cold` — another size, because the one
 * difficulty chose would not fit free memory / has no free slot / is not loaded while another is (an
 * easy request does not wait for a load).
 */
export type LocalPick = "easy" | "hard" | "memory" | "busy" | "cold";

export type LocalChoice =
  | { ok: true; sidecarId: string; model: LocalModel; wait?: LocalWait; pick?: LocalPick; /** Why this model of several, in words. */ why?: string }
  | { ok: false; reason: LocalRefusal };


// When several reasons apply, report the one that says most about what to fix.
const PRIORITY: LocalRefusal[] = ["no_such_model", "context_too_long", "no_tool_support", "unreliable_tools", "loading", "overloaded", "breaker_open", "draining", "offline"];

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
      else if (f.needsTools && !f.wait && f.unreliableTools?.has(m.id)) refusals.add("unreliable_tools");
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
  return choose(f, candidates);
}

type Candidate = { s: SidecarView; m: LocalModel };

/**
 * The best of the models that can take the request now, and why. In order: memory (a loaded model, or
 * a cold one that fits free memory, beats one whose load would evict others); load (a sidecar with a
 * free slot beats one where the request would queue); then, when the request's complexity is known and
 * the sizes differ, difficulty and loading: a hard request goes to the larger model even if it must be
 * loaded first (quality is what it needs), an easy one to the smaller model only if that one is loaded
 * or nothing is (a loaded model answers sooner than a load would); then free capacity; then larger.
 */
function choose(f: LocalFeatures, candidates: Candidate[]): LocalChoice {
  const roomy = (c: Candidate) => Number(c.m.loaded || (c.m.sizeBytes ?? 0) <= c.s.state.freeMemoryBytes);
  const free = (c: Candidate) => c.s.state.slots.total - c.s.inflight;
  const size = (c: Candidate) => c.m.sizeBytes ?? 0;
  const sizes = new Set(candidates.map(size));
  const hardAt = f.hardAt ?? DEFAULT_HARD_AT;
  const hard = f.complexity === undefined || sizes.size < 2 ? undefined : f.complexity >= hardAt;
  // Hard: larger first; easy: smaller first; unknown: no opinion here (the larger wins the last key).
  const bySize = (a: Candidate, b: Candidate) => (hard === undefined ? 0 : hard ? size(b) - size(a) : size(a) - size(b));
  const loaded = (a: Candidate, b: Candidate) => Number(b.m.loaded) - Number(a.m.loaded);
  const sorted = [...candidates].sort(
    (a, b) =>
      roomy(b) - roomy(a) ||
      Number(free(b) > 0) - Number(free(a) > 0) ||
      (hard ? bySize(a, b) || loaded(a, b) : loaded(a, b) || bySize(a, b)) ||
      free(b) - free(a) ||
      size(b) - size(a) ||
      a.m.id.localeCompare(b.m.id),
  );
  const best = sorted[0];
  if (!best) return { ok: false, reason: "offline" };
  if (hard === undefined) return { ok: true, sidecarId: best.s.sidecarId, model: best.m };
  const level = `${hard ? "hard" : "easy"} request (complexity ${f.complexity!.toFixed(2)} ${hard ? "≥" : "<"} ${hardAt})`;
  // What difficulty alone would have chosen, to say when memory or load overruled it.
  const wanted = [...candidates].sort((a, b) => bySize(a, b) || Number(b.m.loaded) - Number(a.m.loaded))[0]!;
  let why: string;
  let pick: LocalPick;
  if (size(wanted) === size(best)) {
    pick = hard ? "hard" : "easy";
    why = `${level}: the ${hard ? "largest" : "smallest"} of ${sizes.size} model sizes that can take it`;
  } else if (!roomy(wanted)) {
    pick = "memory";
    why = `${level}, but ${wanted.m.id} would not fit free memory`;
  } else if (!hard && !wanted.m.loaded && best.m.loaded) {
    pick = "cold";
    why = `${level}, but ${wanted.m.id} is not loaded and ${best.m.id} is`;
  } else {
    pick = "busy";
    why = `${level}, but ${wanted.m.id}'s sidecar has no free slot`;
  }
  return { ok: true, sidecarId: best.s.sidecarId, model: best.m, pick, why };
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

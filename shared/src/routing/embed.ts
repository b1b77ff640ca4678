/**
 * Routing an embeddings request. Vectors of different models are not comparable, so an embedding
 * request is never served by another model than the one it names: there is no fallback list, only the
 * one target — OpenAI's model, or a home model on whichever of the user's sidecars has it (the same
 * model elsewhere) — retried, or refused with a typed error. Pure.
 */
import { HearthError } from "../errors.js";
import type { LocalModel } from "../tunnel/protocol.js";
import type { SidecarView } from "./local.js";
import type { Target } from "./targets.js";

/** Bare names taken as OpenAI's embedding models, so clients with hard-coded names work unchanged. */
const OPENAI_EMBEDDING_NAME = /^text-embedding-/;

/** An embedding model name, or why not, without `auto` (which names no model by itself). */
function targetOf(name: string): Target | { refusal: HearthError } {
  const slash = name.indexOf("/");
  const provider = slash > 0 ? name.slice(0, slash) : undefined;
  const model = slash > 0 ? name.slice(slash + 1) : name;
  if (provider === "local" && model) return { provider: "local", model, id: name };
  if (provider === "openai" && model) return { provider: "openai", model, id: name };
  if (provider === undefined && OPENAI_EMBEDDING_NAME.test(name)) return { provider: "openai", model: name, id: `openai/${name}` };
  if (name === "local") {
    return { refusal: new HearthError("invalid_request", "Embeddings must name their model ('local/<model>'): vectors of different models cannot be compared, so Hearth does not pick one.", { param: "model" }) };
  }
  if (provider === "anthropic" || /^claude-/.test(name)) {
    return { refusal: new HearthError("invalid_request", `Anthropic has no embeddings API: '${name}' cannot embed. Use 'local/<model>' or 'openai/<model>'.`, { param: "model" }) };
  }
  return {
    refusal: new HearthError("model_not_found", `The embedding model '${name}' does not exist. Use 'local/<model>', 'openai/<model>', 'text-embedding-…' or 'auto' (the configured embedding model).`, { param: "model" }),
  };
}

/** The target an embedding model name (not `auto`) names, or undefined. */
export function parseEmbeddingModel(name: string): Target | undefined {
  const t = targetOf(name);
  return "refusal" in t ? undefined : t;
}

/** Whether `name` can be configured as the embedding model `auto` stands for. */
export function isEmbeddingModelName(name: string): boolean {
  return parseEmbeddingModel(name) !== undefined;
}

/**
 * The one target an embeddings request's `model` names. `auto` stands for one configured model
 * (`configured`: the user's policy `embeddingModel`, else the deployment's HEARTH_EMBEDDING_MODEL), never
 * for a choice among several. Throws HearthError: 404 for an unknown name, 400 for a name that cannot embed.
 */
export function embeddingTarget(name: string, configured: string | undefined): Target {
  if (name === "auto" && !configured) {
    throw new HearthError(
      "invalid_request",
      "'auto' stands for the configured embedding model, and none is configured (policy 'embeddingModel' or HEARTH_EMBEDDING_MODEL). Name one: 'local/<model>' or 'openai/<model>'.",
      { param: "model" },
    );
  }
  const t = targetOf(name === "auto" ? (configured as string) : name);
  if ("refusal" in t) throw t.refusal;
  return t;
}

/** Why home cannot embed with the model now (or ever). */
export type EmbedRefusal = "offline" | "draining" | "no_such_model" | "no_embeddings" | "overloaded";

export type EmbedChoice = { ok: true; sidecarId: string; model: LocalModel; wait?: "loading" | "overloaded" } | { ok: false; reason: EmbedRefusal };

// The refusal that says most about what to change.
const PRIORITY: EmbedRefusal[] = ["no_embeddings", "no_such_model", "draining", "offline"];

/**
 * The sidecar to embed with `model` on. Home is an embedding request's only target, so a sidecar that
 * is full or loading the model is still chosen, marked `wait`, rather than refused. Preferred: not in
 * `avoid` (sidecars that just failed this request), the model loaded, free capacity, then the id.
 */
export function pickEmbedder(model: string, sidecars: readonly SidecarView[], avoid: readonly string[] = []): EmbedChoice {
  if (sidecars.length === 0) return { ok: false, reason: "offline" };
  const refusals = new Set<EmbedRefusal>();
  const candidates: { s: SidecarView; m: LocalModel }[] = [];
  for (const s of sidecars) {
    const m = s.state.models.find((x) => x.id === model);
    if (s.state.draining) refusals.add("draining");
    else if (!m) refusals.add("no_such_model");
    else if (!m.embeddings) refusals.add("no_embeddings");
    else candidates.push({ s, m });
  }
  const room = (c: { s: SidecarView }) => c.s.state.slots.total + c.s.state.queue.max - c.s.inflight;
  const ready = (c: { s: SidecarView; m: LocalModel }) => Number(c.m.loaded && !c.s.state.loading.includes(c.m.id));
  candidates.sort(
    (a, b) =>
      Number(avoid.includes(a.s.sidecarId)) - Number(avoid.includes(b.s.sidecarId)) ||
      Number(room(b) > 0) - Number(room(a) > 0) ||
      ready(b) - ready(a) ||
      room(b) - room(a) ||
      a.s.sidecarId.localeCompare(b.s.sidecarId),
  );
  const best = candidates[0];
  if (!best) return { ok: false, reason: PRIORITY.find((r) => refusals.has(r)) ?? "offline" };
  const wait = room(best) <= 0 ? "overloaded" : best.s.state.loading.includes(model) ? "loading" : undefined;
  return { ok: true, sidecarId: best.s.sidecarId, model: best.m, ...(wait ? { wait } : {}) };
}

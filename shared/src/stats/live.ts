/**
 * What the live feed (GET /v1/live) pushes for each finished request: when, what kind, which rule,
 * who served and who was planned first, time to first content, tokens, how it ended and what was
 * passed over on the way. Built from the RequestRecord, which never holds prompt text.
 */
import { passedOver, type RequestRecord } from "./counters.js";

export interface LiveRequest {
  type: "request";
  /** When the request ended (ISO 8601). */
  at: string;
  kind: string | null;
  rule: string | null;
  /** The target that answered; null when none did. */
  served: string | null;
  /** The plan's first target: `served` differs when the request fell back. */
  first: string | null;
  ttft_ms: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_ms: number;
  /** `ok`; `interrupted` (answered, then broke mid-stream); `failed` (no target answered); `client_closed`. */
  outcome: "ok" | "interrupted" | "failed" | "client_closed";
  /** The error code when the outcome is not ok. */
  error: string | null;
  /** Targets passed over on the way, each with its reason (as in x-hearth-trace). */
  fallbacks: { target: string; reason: string }[];
  stream: boolean;
}

function outcomeOf(r: RequestRecord): LiveRequest["outcome"] {
  if (r.error === "client_closed") return "client_closed";
  if (!r.served) return "failed";
  return r.error ? "interrupted" : "ok";
}

export function liveRequest(r: RequestRecord): LiveRequest {
  return {
    type: "request",
    at: new Date(r.at).toISOString(),
    kind: r.kind ?? null,
    rule: r.rule ?? null,
    served: r.served ?? null,
    first: r.first ?? null,
    ttft_ms: r.ttftMs ?? null,
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    total_ms: r.totalMs,
    outcome: outcomeOf(r),
    error: r.error ?? null,
    fallbacks: [...passedOver(r)].map(([target, reason]) => ({ target, reason })),
    stream: r.stream,
  };
}

/** What the live feed pushes when a sidecar connects, reports its state, drains, goes away or its breaker moves. */
export interface HomeEvent {
  type: "home";
  event: "connected" | "state" | "draining" | "disconnected" | "breaker";
  at: string;
  sidecar: {
    id: string;
    name: string | null;
    /** Absent once disconnected. */
    models?: string[];
    loading?: string[];
    slots?: { total: number; free: number };
    queue?: { depth: number; max: number };
    draining?: boolean;
    breaker?: string;
  };
}

/** The sidecar as the hub sees it, for a home event (its models by id, without the `local/`). */
export interface HomeEventSidecar {
  sidecarId: string;
  name: string | undefined;
  models?: readonly { id: string }[];
  loading?: readonly string[];
  slots?: { total: number; free: number };
  queue?: { depth: number; max: number };
  draining?: boolean;
  breaker?: string;
}

export function homeEvent(event: HomeEvent["event"], s: HomeEventSidecar, now: number): HomeEvent {
  const sidecar: HomeEvent["sidecar"] = { id: s.sidecarId, name: s.name ?? null };
  if (event !== "disconnected") {
    if (s.models) sidecar.models = s.models.map((m) => `local/${m.id}`);
    if (s.loading) sidecar.loading = s.loading.map((id) => `local/${id}`);
    if (s.slots) sidecar.slots = s.slots;
    if (s.queue) sidecar.queue = s.queue;
    if (s.draining !== undefined) sidecar.draining = s.draining;
    if (s.breaker) sidecar.breaker = s.breaker;
  }
  return { type: "home", event, at: new Date(now).toISOString(), sidecar };
}

/**
 * What crosses the RPC boundary between the Worker and a user's SidecarHub. Failures are values,
 * never exceptions: workerd logs an exception thrown from an RPC method as uncaught even when caught.
 */
import type { BudgetReport, ChatRequest, EmbedRefusal, LocalFeatures, LocalModel, LocalRefusal, ProviderId, RequestRecord, RouteFeatures, RoutePlan, RoutingPolicy, StatsReport } from "@hearth/shared";

export interface OpenInput {
  /** Unique per attempt; names the request on the tunnel. */
  id: string;
  /** A model id, or undefined to let the hub choose. */
  model: string | undefined;
  body: ChatRequest;
  features: LocalFeatures;
  /** Cancel at home and report `timeout` if no content arrives within this (ms). */
  firstTokenMs: number;
  /** Home is the only target left: wait for a loading model or a free slot (within firstTokenMs) rather than refuse. Default: false. */
  wait?: boolean;
  /** Continue an assistant answer that begins with this text. Default: a fresh answer. */
  prefix?: string;
}

export type OpenResult =
  | {
      ok: true;
      model: string;
      sidecarId: string;
      /** NDJSON: one tunnel frame per line (start, delta, end, error), as the sidecar sent them. */
      frames: ReadableStream<Uint8Array>;
    }
  | { ok: false; reason: LocalRefusal };

/** An embedding request for home: always one named model, on whichever sidecar has it. */
export interface EmbedInput {
  /** Unique per attempt; names the request on the tunnel. */
  id: string;
  model: string;
  input: string[];
  dimensions?: number;
  /** Cancel at home and report `timeout` if no vectors arrive within this (ms); waiting for a slot counts. */
  firstContentMs: number;
  /** Sidecars that failed this request already: another with the model is preferred. Default: none. */
  avoid?: string[];
}

export type EmbedOpenResult =
  | {
      ok: true;
      sidecarId: string;
      /** NDJSON: one tunnel frame per line (vectors, alive, embedded, error), as the sidecar sent them. */
      frames: ReadableStream<Uint8Array>;
    }
  | { ok: false; reason: EmbedRefusal };

export interface HubSidecar {
  sidecarId: string;
  name: string | undefined;
  connectedAt: number;
  models: LocalModel[];
  slots: { total: number; free: number };
  queue: { depth: number; max: number };
  loading: string[];
  /** As the sidecar last reported it. */
  freeMemoryBytes: number;
  draining: boolean;
  inflight: number;
  breaker: "closed" | "open" | "half_open";
  /** When it was last heard from (ms); undefined when not since the hub last woke. */
  lastSeenAt?: number;
}

export interface HubSnapshot {
  sidecars: HubSidecar[];
}

/** What the hub knows for /v1/health. */
export interface HubHealth {
  sidecars: HubSidecar[];
  /** Cloud targets' window breakers. */
  breakers: Record<string, "closed" | "open" | "half_open">;
  /** Each cloud target's recent window for this user: how many answers and what share failed. */
  cloud: Record<string, { samples: number; errorRate: number }>;
  budget: BudgetReport;
}

/** What the Worker asks the hub to plan: the request's features and everything the planner needs that the hub does not keep. */
export interface RouteCall {
  model: string;
  features: RouteFeatures;
  policy: RoutingPolicy;
  privateRequest: boolean;
  deploymentAutoTargets: string[];
  configured: ProviderId[];
  deadlines: { cloudMs: number; localMs: number };
  /** Hold the budget's headroom for this request until its record arrives (a request that runs; implied by `open`). */
  reserve?: boolean;
  /** Start the first target now when it is home (saves a round trip); absent for /v1/route/explain. */
  open?: { id: string; body: ChatRequest; features: LocalFeatures };
  /** For the budget's estimate: the answer tokens the request may take (its max_tokens, or a default). */
  answerTokens?: number;
  /** How long a budget reservation for this request is held at most (ms): its total deadline and a margin. */
  holdMs?: number;
}

export interface RouteResult {
  plan: RoutePlan;
  /** The first target's attempt, when it is home and `open` was asked for. */
  opened?: OpenResult;
  /** The budget reservation made for this request (only when `open` was asked for): its record releases it. */
  hold?: string;
}

/** A JSON object (a Responses API object or item, as the client sent or got it). */
export type Json = Record<string, unknown>;
/** An input or output item of the Responses API: `type` says which (a message when absent). */
export type Item = Json & { type?: string | null };

/** What the Worker sends to store: the Response as the client got it, and that turn's own input. */
export interface StoredResponse {
  response: Json & { id: string; output: Item[]; previous_response_id?: string | null };
  input: Item[];
}

/** The earlier turns and the referenced items a request needs, or what is missing. */
export type ResponsesContext = { ok: true; history: Item[]; items: Record<string, Item> } | { ok: false; missing: "previous_response_id" | "item"; id: string };

export type { BudgetReport, RequestRecord, StatsReport };

/**
 * What crosses the RPC boundary between the Worker and a user's SidecarHub. Failures are values,
 * never exceptions: workerd logs an exception thrown from an RPC method as uncaught even when caught.
 */
import type { ChatRequest, LocalFeatures, LocalModel, LocalRefusal } from "@hearth/shared";

export interface OpenInput {
  /** Unique per attempt; names the request on the tunnel. */
  id: string;
  /** A model id, or undefined to let the hub choose. */
  model: string | undefined;
  body: ChatRequest;
  features: LocalFeatures;
  /** Cancel at home and report `timeout` if no content arrives within this (ms). */
  firstTokenMs: number;
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

export interface HubSidecar {
  sidecarId: string;
  name: string | undefined;
  connectedAt: number;
  models: LocalModel[];
  slots: { total: number; free: number };
  queue: { depth: number; max: number };
  loading: string[];
  draining: boolean;
  inflight: number;
  breaker: "closed" | "open" | "half_open";
}

export interface HubSnapshot {
  sidecars: HubSidecar[];
}

/** Per-socket facts kept with the socket itself, so they survive hibernation (≤ 2 KiB). */
export interface SocketAttachment {
  credentialId: string;
  connectedAt: number;
  /** Set by the sidecar's hello. */
  sidecarId?: string;
  name?: string;
}

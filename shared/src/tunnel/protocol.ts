/**
 * The tunnel's wire protocol: JSON text frames over the WebSocket the sidecar opens to the Worker.
 * Defined once, here, as schemas; both ends validate every frame they receive.
 *
 * One connection carries many requests at once; every request-scoped frame names its request `id`.
 *
 *   Worker → sidecar: welcome, request, embed, cancel
 *   sidecar → Worker: hello, state, start, delta, end, vectors, embedded, error, bye
 *
 * A request's life: request → start → delta* → end, or request → error at any point, or
 * request → cancel (Worker) → error{cancelled} / end. The sidecar sends start together with the first
 * output (not while the model is still working on it), so it never costs a wake-up of its own.
 * Request frames from the sidecar carry `seq` (0, 1, 2…) and are delivered in that order. Deltas may
 * be coalesced: one frame can carry many tokens' worth of text, so a fast model does not cost one
 * frame per token. While a model works without producing text (a tool call it sends whole), the
 * sidecar sends `alive` now and then, so a silence that long is not taken for a stall.
 *
 * An embedding request's life: embed → vectors* → embedded, or embed → error at any point (alive
 * frames while a long input is embedded). Vectors come in input order, a frame per batch of them,
 * each vector base64 of its little-endian float32 values: JSON numbers would be four times the
 * size, and big batches are split over frames that stay far below Cloudflare's 32 MiB message limit.
 *
 * State frames are numbered (`n`), and `start` names the last state sent before it (`stateN`): a
 * state report that was on its way while an answer began never overrides what that answer proved
 * (the model is loaded).
 */
import { z } from "zod";
import { EMBEDDING_LIMITS } from "../openai/embeddings.js";
import { chatRequestSchema } from "../openai/request.js";

export const PROTOCOL_VERSION = 1;

export const localModelSchema = z.object({
  /** The name clients use after `local/`, e.g. `qwen2.5-7b-instruct-q4_k_m`. */
  id: z.string().min(1).max(200),
  backend: z.enum(["llama-cpp", "ollama"]),
  /** Tokens of context this model runs with. */
  contextLength: z.number().int().positive(),
  /** Bytes on disk (GGUF) or as reported by Ollama. */
  sizeBytes: z.number().int().nonnegative().optional(),
  loaded: z.boolean(),
  /** Whether the model's chat template supports tool calls. */
  tools: z.boolean(),
  /** Measured or estimated generation speed, tokens/s (0 = unknown). */
  tokensPerSecond: z.number().nonnegative().default(0),
  /** What the model is for (`code`, `vision`, …), for routing rules. Default: inferred from its name by the Worker. */
  tags: z.array(z.string().min(1).max(32)).max(16).optional(),
  /** Makes embeddings (POST /v1/embeddings). Default: false. */
  embeddings: z.boolean().optional(),
  /** The length of its vectors, when it makes embeddings. Default: unknown. */
  embeddingLength: z.number().int().positive().optional(),
  /** Answers chat requests. False for an embedding-only model, which chat routing never picks. Default: true. */
  chat: z.boolean().optional(),
});
export type LocalModel = z.infer<typeof localModelSchema>;

export const sidecarStateSchema = z.object({
  models: z.array(localModelSchema).max(500),
  /** Concurrent generations the sidecar admits, and how many are free now. */
  slots: z.object({ total: z.number().int().nonnegative(), free: z.number().int().nonnegative() }),
  /** Requests waiting for a slot, and the most it will queue before refusing. */
  queue: z.object({ depth: z.number().int().nonnegative(), max: z.number().int().nonnegative() }),
  /** Ids of models being loaded right now. */
  loading: z.array(z.string()).default([]),
  freeMemoryBytes: z.number().nonnegative(),
  /** Shutting down: finishing what it has, taking nothing new. */
  draining: z.boolean().default(false),
  /** Numbers this sidecar's state reports, from 1 per connection; absent from older sidecars. */
  n: z.number().int().nonnegative().optional(),
});
export type SidecarState = z.infer<typeof sidecarStateSchema>;

const usageSchema = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
});

export const TUNNEL_ERROR_CODES = [
  /** No slot and the queue is full: go elsewhere at once. */
  "overloaded",
  /** The model is loading and cannot answer yet. */
  "loading",
  "model_not_found",
  /** The request cannot run here (too long for the context, tools unsupported…). */
  "unsupported",
  "invalid_request",
  /** The backend (llama.cpp, Ollama) failed. */
  "backend_error",
  /** Stopped because the Worker sent cancel. */
  "cancelled",
  /** The sidecar is shutting down. */
  "draining",
  /** Set by the hub: no first token within the deadline (the home generation was cancelled). */
  "timeout",
  /** Set by the hub: the sidecar's connection dropped mid-request. */
  "disconnected",
] as const;
export type TunnelErrorCode = (typeof TUNNEL_ERROR_CODES)[number];

const id = z.string().min(1).max(64);
/**
 * Per-request frame number from the sidecar, from 0. The hub delivers a request's frames in this
 * order: WebSocket events can reach a Durable Object's handler out of order (seen in workerd), and an
 * answer must never lose or swap pieces.
 */
const seq = z.number().int().nonnegative();

export const sidecarFrameSchema = z.discriminatedUnion("t", [
  z.object({
    t: z.literal("hello"),
    v: z.number().int(),
    /** Stable per installation, so the Worker can tell a reconnect from a second machine. */
    sidecarId: z.string().min(1).max(100),
    name: z.string().max(100).optional(),
    state: sidecarStateSchema,
  }),
  z.object({ t: z.literal("state"), state: sidecarStateSchema }),
  /** `stateN`: the `n` of the last state this sidecar sent before the answer began. */
  z.object({ t: z.literal("start"), id, seq, model: z.string(), stateN: z.number().int().nonnegative().optional() }),
  /** The model is working on this request without text to show yet (e.g. a tool call). */
  z.object({ t: z.literal("alive"), id, seq }),
  z.object({
    t: z.literal("delta"),
    id,
    seq,
    text: z.string().optional(),
    toolCalls: z
      .array(
        z.object({
          index: z.number().int().nonnegative(),
          id: z.string().optional(),
          name: z.string().optional(),
          arguments: z.string().optional(),
        }),
      )
      .optional(),
  }),
  z.object({
    t: z.literal("end"),
    id,
    seq,
    finishReason: z.enum(["stop", "length", "tool_calls", "content_filter"]),
    usage: usageSchema,
  }),
  /**
   * Vectors of inputs `index`, `index` + 1, …: each base64 of little-endian float32 values, already cut
   * to the request's `dimensions` and scaled to unit length.
   */
  z.object({ t: z.literal("vectors"), id, seq, index: z.number().int().nonnegative(), data: z.array(z.string()).min(1).max(EMBEDDING_LIMITS.inputs) }),
  /** Every vector was sent (`count` of them): the last frame of an embedding request. */
  z.object({ t: z.literal("embedded"), id, seq, count: z.number().int().nonnegative(), usage: z.object({ prompt_tokens: z.number().int().nonnegative() }) }),
  // seq is absent only on errors the hub itself adds (timeout, disconnected).
  z.object({ t: z.literal("error"), id, seq: seq.optional(), code: z.enum(TUNNEL_ERROR_CODES), message: z.string().max(2000) }),
  z.object({ t: z.literal("bye"), reason: z.string().max(200) }),
]);
export type SidecarFrame = z.infer<typeof sidecarFrameSchema>;

export const workerFrameSchema = z.discriminatedUnion("t", [
  z.object({
    t: z.literal("welcome"),
    /** The Worker's newest protocol version. */
    v: z.number().int(),
    heartbeatMs: z.number().int().positive(),
    /** The Worker's oldest and newest protocol versions (version.ts); absent from older Workers, which speak only `v`. */
    min: z.number().int().optional(),
    max: z.number().int().optional(),
    /** The Worker's Hearth version, for messages. Absent from older Workers. */
    version: z.string().max(50).optional(),
  }),
  z.object({
    t: z.literal("request"),
    id,
    model: z.string().min(1),
    body: chatRequestSchema,
    /** Continue an assistant answer that begins with this text (another target's, cut short) instead of starting one. */
    prefix: z.string().optional(),
  }),
  /** Embed each input with `model`; vectors cut to `dimensions` when given. */
  z.object({
    t: z.literal("embed"),
    id,
    model: z.string().min(1),
    input: z.array(z.string().min(1)).min(1).max(EMBEDDING_LIMITS.inputs),
    dimensions: z.number().int().positive().max(EMBEDDING_LIMITS.dimensions).optional(),
  }),
  z.object({ t: z.literal("cancel"), id }),
]);
export type WorkerFrame = z.infer<typeof workerFrameSchema>;

export type FrameResult<F> = { ok: true; frame: F } | { ok: false; error: string };

function parseWith<F>(schema: z.ZodType<F>, text: string): FrameResult<F> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: "frame is not JSON" };
  }
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, frame: r.data };
  const issue = r.error.issues[0];
  return { ok: false, error: `invalid frame at '${issue?.path.join(".") ?? ""}': ${issue?.message ?? "invalid"}` };
}

export const parseSidecarFrame = (text: string) => parseWith(sidecarFrameSchema, text);
export const parseWorkerFrame = (text: string) => parseWith(workerFrameSchema, text);
export const encodeFrame = (frame: SidecarFrame | WorkerFrame): string => JSON.stringify(frame);

/**
 * What a local backend is to the sidecar: it lists models, runs one chat request as a stream of
 * events, embeds texts (when it can), and cleans up. Admission control (slots, queue) is the
 * sidecar's, not the backend's.
 */
import type { ChatRequest, LocalModel, TunnelErrorCode } from "@hearth/shared";

export type FinishReason = "stop" | "length" | "tool_calls";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

export type GenerationEvent =
  /** Generated text, in order. Several tokens may arrive in one event. */
  | { type: "text"; text: string }
  /** A whole tool call (local backends produce calls whole, not as argument deltas). */
  | { type: "tool_call"; index: number; id: string; name: string; arguments: string }
  /** Last event of a successful generation. */
  | { type: "end"; finishReason: FinishReason; usage: Usage }
  /** The model is generating but has no text to show (a tool call it returns whole): proof it has not stalled. */
  | { type: "progress" };

export interface GenerateOptions {
  /** Aborts the generation: client gone, Worker cancelled, shutdown. The iterator then ends or throws BackendError("cancelled"). */
  signal: AbortSignal;
  /**
   * Continue an assistant answer that begins with this text (another target's, cut short): the model
   * writes on from its last character, and only the continuation is yielded. Default: a fresh answer.
   */
  prefix?: string;
}

export interface EmbedOptions {
  /** Aborts the embedding: the iterator then throws BackendError("cancelled"). */
  signal: AbortSignal;
}

/** Vectors for the next inputs, in input order, as the model made them (not yet normalized or cut). */
export interface EmbedBatch {
  vectors: ArrayLike<number>[];
  /** Tokens these inputs took. */
  promptTokens: number;
}

export interface Backend {
  readonly kind: LocalModel["backend"];
  /** Models this backend can serve, with metadata. Cheap: called on every heartbeat. */
  models(): Promise<LocalModel[]>;
  /** Ids of models being loaded right now. */
  loading(): string[];
  /**
   * Runs one chat request on `model` (an id from models()). Loads the model first if needed.
   * Throws BackendError for every failure a caller should tell apart.
   */
  generate(model: string, req: ChatRequest, opts: GenerateOptions): AsyncIterable<GenerationEvent>;
  /**
   * Embeds `inputs` with `model`, yielding vectors in input order as they are made (a batch at a time),
   * every input once. Loads the model first if needed. Absent when the backend cannot embed.
   * Throws BackendError; `invalid_request` names the input at fault (too long for the model…).
   */
  embed?(model: string, inputs: readonly string[], opts: EmbedOptions): AsyncIterable<EmbedBatch>;
  /** Unloads models and releases native resources. Idempotent. */
  dispose(): Promise<void>;
  /** Calls `listener` after each model load this backend sees, for metrics. Absent when it sees none. */
  observeLoads?(listener: (load: ModelLoadEvent) => void): void;
}

/** A model load finished: how long it took, and whether the model is now usable. */
export interface ModelLoadEvent {
  model: string;
  backend: LocalModel["backend"];
  seconds: number;
  ok: boolean;
}

/** A failure with a tunnel error code, so the Worker can tell "go elsewhere now" from "broken". */
export class BackendError extends Error {
  readonly code: TunnelErrorCode;
  constructor(code: TunnelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BackendError";
    this.code = code;
  }
}

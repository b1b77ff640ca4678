/**
 * What a cloud provider is to Hearth: data (its id, where its key lives) plus transforms between the
 * OpenAI shape Hearth speaks and the provider's own API, called through the provider's official SDK.
 */
import type { AttemptFailure, ChatRequest, LocalFeatures, ProviderId } from "@hearth/shared";
import type { OpenResult } from "../tunnel/types.js";
import type { ChatCompletion, ChatCompletionChunk } from "openai/resources/chat/completions";

export type { ChatCompletion, ChatCompletionChunk };

export interface ProviderConfig {
  apiKey: string;
  /** Default: the SDK's own (the provider's public API). */
  baseURL?: string;
}

export interface CallContext {
  /** Aborts the upstream request (client went away, deadline passed). */
  signal: AbortSignal;
  /** Hearth's request id, sent upstream for correlation. */
  requestId: string;
  /** Give up on the upstream after this long without a response (ms). */
  timeoutMs: number;
  /** The Worker's env and the caller's user: the local provider reaches that user's hub with them. */
  env: Env;
  userId: string;
  /** For the local provider: how long home may take to the first token (ms), from the plan. */
  localFirstTokenMs: number;
  /** For the local provider: what the hub's model picker needs to know of the request. */
  localFeatures: LocalFeatures;
  /** For the local provider: home's attempt for this model if the hub already started it while planning (taken once). */
  takeOpened: (model: string) => { id: string; result: OpenResult } | undefined;
  /**
   * Keeps work alive after the client is gone (the Worker's ctx.waitUntil): a cancel sent to the home
   * machine must outlive the request that asked for it.
   */
  waitUntil: (promise: Promise<unknown>) => void;
}

export interface Provider {
  id: ProviderId;
  /** This provider's key and base URL from the Worker's env; null when no key is set. */
  config(env: Env): ProviderConfig | null;
  /** One non-streaming completion, answered in OpenAI's shape (usage always set). */
  complete(req: ChatRequest, model: string, cfg: ProviderConfig, ctx: CallContext): Promise<ChatCompletion>;
  /**
   * Opens a stream. Resolves once the upstream accepted the request (its headers arrived), so a
   * refusal is an ordinary rejected promise. Iterating yields OpenAI chunks; a final chunk with
   * `usage` and empty `choices` is always produced (the caller drops it unless asked for).
   * Breaking out of the loop aborts the upstream request.
   */
  stream(req: ChatRequest, model: string, cfg: ProviderConfig, ctx: CallContext): Promise<AsyncIterable<ChatCompletionChunk>>;
  /** Reduces anything this provider's SDK threw into what the retry decision needs. */
  classifyError(err: unknown): AttemptFailure;
}

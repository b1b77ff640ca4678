/**
 * What a cloud provider is to Hearth: data (its id, where its key lives) plus transforms between the
 * OpenAI shape Hearth speaks and the provider's own API, called through the provider's official SDK.
 * A streaming client's answer is streamed from the provider; a non-streaming client's is fetched whole
 * (`complete`), which costs no JavaScript per token (see whole.ts).
 */
import type { AttemptFailure, ChatRequest, CloudProviderId } from "@hearth/shared";
import type { Chunk, StreamItem } from "../stream/chunks.js";

export interface ProviderConfig {
  apiKey: string;
  /** Default: the SDK's own (the provider's public API). */
  baseURL?: string;
}

export interface CloudCall {
  /** Aborts the upstream request: a pending read of the stream then rejects. */
  signal: AbortSignal;
  /** Hearth's request id, sent upstream for correlation. */
  requestId: string;
}

/**
 * A client that speaks this provider's own API (Anthropic's Messages to Anthropic, OpenAI's Responses
 * to OpenAI): its body goes up as it sent it and the provider's events come back as they were sent,
 * each batch carrying them beside their translation into chunks. The dialect binds its body here, so
 * the generic code that opens targets names no API.
 */
export interface NativeCall {
  provider: CloudProviderId;
  open(cfg: ProviderConfig, model: string, call: CloudCall): Promise<AsyncIterable<StreamItem>>;
  /** The whole answer in one batch, carrying the provider's own JSON body (withBody). */
  complete(cfg: ProviderConfig, model: string, call: CloudCall): Promise<Chunk[]>;
}

export interface Provider {
  id: CloudProviderId;
  /** This provider's key and base URL from the Worker's env; null when no key is set. */
  config(env: Env): ProviderConfig | null;
  /**
   * Opens a stream. Resolves once the upstream accepted the request (its headers arrived), so a
   * refusal is an ordinary rejected promise. Iterating yields OpenAI chunks, those that arrived
   * together in one batch (or ALIVE while the model works with nothing to show, e.g. thinking); a
   * final chunk with `usage` and empty `choices` is always produced (the caller drops it unless asked for).
   */
  stream(req: ChatRequest, model: string, cfg: ProviderConfig, call: CloudCall): Promise<AsyncIterable<StreamItem>>;
  /**
   * The whole answer, fetched without streaming, as the chunks a stream of it would carry (one batch).
   * Resolves once the answer is complete; rejects as `stream` would (a refusal, a dropped connection).
   */
  complete(req: ChatRequest, model: string, cfg: ProviderConfig, call: CloudCall): Promise<Chunk[]>;
  /** The request that has this provider continue an assistant answer that begins with `prefix`. */
  continuation(req: ChatRequest, prefix: string): ChatRequest;
  /** Reduces anything this provider's SDK threw into what the retry decision needs. */
  classifyError(err: unknown): AttemptFailure;
}

/**
 * An API a client speaks (OpenAI's Chat Completions, Anthropic's Messages, OpenAI's Responses) as the
 * pipeline sees it: a decoder from its body to the common request, encoders for a whole answer and for
 * a stream, and its error format. Everything else — planning, admission, the run with its deadlines
 * and fallback, recording — is the pipeline's, written once (serve.ts).
 */
import type { AttemptSummary, ChatRequest, ErrorCode, HearthError, TaskKind } from "@hearth/shared";
import type { NativeCall } from "../providers/types.js";
import type { RequestScope } from "../scope.js";
import type { CompletionBuilder } from "../stream/answer.js";
import type { Chunk } from "../stream/chunks.js";
import type { Whole } from "./whole.js";

/** A request decoded from the client's API. */
export interface Decoded {
  /** The common request every target is run with (translated for those that speak another API). */
  chat: ChatRequest;
  /** The client asked for an event stream. */
  stream: boolean;
  /** Route as this task kind whatever the classifier says. */
  forceKind?: TaskKind;
  /** The model name the client sent, when the dialect maps it (a Claude name): what the agent shape reads. */
  clientModel?: string;
  /** Only this provider can take the request, and why: every other target refuses it before any call. */
  only?: { provider: string; what: string };
  /** The client speaks this provider's own API: that provider gets the client's body as sent. */
  native?: NativeCall;
}

/** Where a stream was continued by another target. */
export interface Splice {
  /** Characters of answer text the client had when the first target broke. */
  at_chars: number;
  from: string;
  to: string;
  /** Why the first target's answer ended (`idle_timeout`, `disconnected`, `connection`…). */
  reason: string;
}

/** What an encoder may read of the stream so far. */
export interface StreamState {
  /** The answer so far, the batch being encoded included. */
  readonly answer: CompletionBuilder;
  /** Continuations so far (empty unless the dialect continues broken streams). */
  readonly splices: readonly Splice[];
  readonly trace: readonly AttemptSummary[];
}

/** What a stream carried as it came is watched for (pipeline/raw-stream.ts). */
export interface RawWatch {
  /** The stream's text, in order, as the watcher reads it (in pieces that may split anything). */
  feed(text: string): void;
  /** Whether it ended as a whole answer does, and its usage when the stream says (or can be counted). */
  end(): { finished: boolean; usage: { prompt_tokens: number; completion_tokens: number } | undefined };
}

/** One stream's encoder: made per request, it may keep state (ids, sequence numbers, open blocks). */
export interface StreamEncoder {
  /**
   * Present when the dialect can take a stream carried as it came (its client speaks the upstream's
   * API): a new watch for one such stream.
   */
  raw?(): RawWatch;
  /** The client's SSE text for a batch ("" when nothing of it is for the client). */
  encode(batch: Chunk[], state: StreamState): string | Promise<string>;
  /** The event that ends a stream which broke after it began: the client's SDK raises on it. */
  errorEvent(code: ErrorCode, message: string, state: StreamState): string;
  /** What follows the last batch of a whole answer. */
  finish(state: StreamState): string | Promise<string>;
}

export interface ErrorFormat {
  /** The JSON body of an error response in this API's shape. */
  body(err: HearthError): unknown;
}

/** A whole answer's JSON text, sent as it is (a target's own body for a client of its API): no re-encoding. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** OpenAI's error body (Hearth's own shape: `{"error":{message,type,param,code}}`), which most dialects speak. */
export const openaiErrors: ErrorFormat = { body: (err) => err.toJSON() };

export interface Dialect<D extends Decoded = Decoded> {
  decode(scope: RequestScope): Promise<D>;
  /** When an answer counts as begun for this client. Default: its first substantive chunk. */
  begun?(batch: Chunk[]): boolean;
  /** The whole answer as the client's JSON body, or its text as a RawJson (and whatever must happen before it leaves). */
  whole(whole: Whole, d: D, scope: RequestScope): unknown;
  encoder(d: D, scope: RequestScope): StreamEncoder;
  /** May a stream that broke after it began be continued by the next target, in the same stream? Default: no. */
  continues?(d: D, scope: RequestScope): boolean;
  errors: ErrorFormat;
}

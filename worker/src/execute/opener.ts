/**
 * A target as the executor sees it: something that can be opened for this request and then answers as
 * a stream of OpenAI chunks. The cloud providers and home are both openers; the executor knows nothing
 * else of either.
 */
import type { AttemptFailure, PlannedTarget } from "@hearth/shared";
import type { StreamItem } from "../stream/chunks.js";

export interface OpenOptions {
  /**
   * The attempt's signal. When it aborts (a deadline, a stall, the client gone, a hedge lost) the
   * source must stop at once — the upstream request aborted, the generation at home cancelled — and a
   * pending read must settle.
   */
  signal: AbortSignal;
  /** Continue an answer that begins with this text (another attempt's, cut short) instead of starting one. */
  prefix?: string;
}

export interface Opener {
  readonly target: PlannedTarget;
  /** Starts the target; resolves once it accepted the request. Iterating yields the answer. */
  open(opts: OpenOptions): Promise<AsyncIterable<StreamItem>>;
  /** Reduces anything this target threw to what the retry decision needs. */
  classify(err: unknown): AttemptFailure;
}

export type OpenerFor = (target: PlannedTarget) => Opener;

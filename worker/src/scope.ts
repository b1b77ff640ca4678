/**
 * What the pipeline knows of one request, apart from its body: who asks, with which policy, under
 * which deployment, and the request's own hooks (its signal, headers, the rate limiter's verdict).
 * The HTTP layer builds it (http/scope.ts); nothing below it sees Hono's Context, so the pipeline and
 * the dialects are testable without a router.
 */
import type { User } from "./db/users.js";
import type { Logger } from "./log.js";

export interface BodyLimits {
  /** Levels of JSON nesting accepted. Default: the body reader's. */
  maxDepth?: number;
}

export interface RequestScope {
  readonly env: Env;
  readonly user: User;
  readonly requestId: string;
  readonly log: Logger;
  /** When the request arrived (ms since epoch): its record's total time counts from here. */
  readonly startedAt: number;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
  header(name: string): string | undefined;
  /** The body as JSON, within the deployment's size cap (413) and `limits`; a parse error is a 400. */
  json(limits?: BodyLimits): Promise<unknown>;
  /** Resolves once the rate limiter admitted the request; throws 429 otherwise. Call before contacting any target. */
  admitted(): Promise<void>;
  /** Keeps work going after the response (a cancel that must reach home, stats to send). */
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * After each request: one record to the user's Durable Object (counters, and the cloud targets'
 * performance windows), sent in the background so the client never waits for it. No prompt text.
 */
import { HearthError, parseTarget, type AttemptSummary, type ChatRequest, type RequestRecord } from "@hearth/shared";
import type { Context } from "hono";
import type { AppEnv } from "../http/types.js";
import type { Planned } from "../routing/plan.js";
import { hubFor } from "../tunnel/stub.js";

export interface RecordInput {
  served: string | undefined;
  error: string | undefined;
  trace: AttemptSummary[];
  usage: { prompt_tokens: number; completion_tokens: number } | undefined;
}

export function recordRequest(c: Context<AppEnv>, planned: Planned, req: ChatRequest, startedAt: number, r: RecordInput): void {
  if (!c.env.SIDECAR_HUB) return;
  const reference = planned.plan.order.find((id) => {
    const p = parseTarget(id)?.provider;
    return p !== undefined && p !== "local";
  });
  const record: RequestRecord = {
    at: Date.now(),
    kind: planned.classification.kind,
    rule: planned.plan.rule?.name,
    served: r.served,
    error: r.error,
    promptTokens: r.usage?.prompt_tokens ?? 0,
    completionTokens: r.usage?.completion_tokens ?? 0,
    trace: r.trace,
    reference,
    first: planned.plan.order[0],
    stream: req.stream === true,
    totalMs: Date.now() - startedAt,
  };
  const log = c.get("log");
  c.executionCtx.waitUntil(
    hubFor(c.env, c.get("principal").user.id)
      .record(record)
      .catch((err: unknown) => log.warn("stats record failed", { error: err instanceof Error ? err.message : String(err) })),
  );
}

/** The record of a request that ended in an error after routing began. */
export function failureInput(err: unknown): RecordInput {
  const e = err instanceof HearthError ? err : undefined;
  return { served: undefined, error: e?.code ?? "client_closed", trace: e?.attempts ?? [], usage: undefined };
}

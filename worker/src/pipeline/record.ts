/**
 * After each request: a record for the user's Durable Object (counters, and the cloud targets'
 * performance windows), sent in the background so the client never waits for it. No prompt text.
 *
 * Records are gathered per user in the isolate for up to FLUSH_MS and sent in one call: a call per
 * request cost every request its own RPC into the Durable Object (profiled at ~0.27 ms of CPU per
 * request between the two, a tenth of the Worker's time under load). What an isolate that dies
 * holds is lost: at most FLUSH_MS of stats. `GET /v1/stats` sends what is waiting first.
 */
import { HearthError, parseTarget, type AttemptSummary, type ChatRequest, type RequestRecord } from "@hearth/shared";
import { hubFor } from "../hub-client/index.js";
import type { Checked } from "../targets/checked/source.js";
import type { Logger } from "../log.js";
import type { Planned } from "../routing/plan.js";
import type { RequestScope } from "../scope.js";

export interface RecordInput {
  served: string | undefined;
  error: string | undefined;
  trace: AttemptSummary[];
  usage: { prompt_tokens: number; completion_tokens: number } | undefined;
  /** What the checks found of home's answers. Default: none were checked. */
  checked?: readonly Checked[];
}

export function recordRequest(scope: RequestScope, planned: Planned, req: ChatRequest, r: RecordInput): void {
  if (!scope.env.SIDECAR_HUB) return;
  const reference = planned.plan.order.find((id) => {
    const p = parseTarget(id)?.provider;
    return p !== undefined && p !== "local";
  });
  const at = Date.now();
  // The served attempt's time to its first content, as the executor traced it.
  const ttftMs = r.served ? r.trace.findLast((a) => a.target === r.served && (a.outcome === "served" || a.outcome === "broken"))?.ms : undefined;
  // Home's outcome teaches the risk estimate (hub/planning/risk-store.ts); a request that never
  // reached home has none (and a named cloud model is not assessed: reading it would classify it).
  const riskLogit = planned.kind !== undefined && r.trace.some((a) => a.target.startsWith("local/")) ? planned.assessment.risk.baseLogit : undefined;
  const record: RequestRecord = {
    at,
    kind: planned.kind,
    rule: planned.plan.rule?.name,
    served: r.served,
    error: r.error,
    promptTokens: r.usage?.prompt_tokens ?? 0,
    completionTokens: r.usage?.completion_tokens ?? 0,
    trace: r.trace,
    reference,
    first: planned.plan.order[0],
    stream: req.stream === true,
    totalMs: at - scope.startedAt,
    ...(ttftMs !== undefined ? { ttftMs } : {}),
    ...(planned.hold ? { hold: planned.hold } : {}),
    ...(riskLogit !== undefined ? { riskLogit } : {}),
    ...(r.checked?.length ? { checks: r.checked.map((c) => ({ ...c, model: c.model.replace(/^local\//, "") })) } : {}),
  };
  queueRecord(scope, record);
}

/** Queues a finished request's record for the user's hub (sent with others within FLUSH_MS). */
export function queueRecord(scope: RequestScope, record: RequestRecord): void {
  if (!scope.env.SIDECAR_HUB) return;
  const userId = scope.user.id;
  let waiting = pending.get(userId);
  if (!waiting) pending.set(userId, (waiting = []));
  waiting.push(record);
  // The first record waiting schedules the send; the request that brought it keeps the isolate up until then.
  if (waiting.length === 1) scope.waitUntil(sleep(FLUSH_MS).then(() => flushRecords(scope.env, userId, scope.log)));
  else if (waiting.length >= MAX_BATCH) scope.waitUntil(flushRecords(scope.env, userId, scope.log));
}

/** How long records wait in the isolate to be sent together (ms). */
const FLUSH_MS = 200;
/** Sent at once when this many are waiting (bounds the work of the request that sends them). */
const MAX_BATCH = 50;

const pending = new Map<string, RequestRecord[]>();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends the user's waiting records to their hub now. */
export async function flushRecords(env: Env, userId: string, log?: Logger): Promise<void> {
  const records = pending.get(userId);
  if (!records || records.length === 0) return;
  pending.delete(userId);
  await hubFor(env, userId)
    .record(JSON.stringify(records))
    .catch((err: unknown) => log?.warn("stats record failed", { records: records.length, error: err instanceof Error ? err.message : String(err) }));
}

/** The record of a request that ended in an error after routing began. */
export function failureInput(err: unknown): RecordInput {
  const e = err instanceof HearthError ? err : undefined;
  return { served: undefined, error: e?.code ?? "client_closed", trace: e?.attempts ?? [], usage: undefined };
}

/**
 * What home's models can do, learned from the checks of their answers (README "Checked answers"): per
 * model and kind of request (tool requests, structured output), how many answers passed, were
 * repaired, failed and on which check — and the last few outcomes, the recent window a model is judged
 * on. A model whose recent tool answers fail more often than the policy allows is not offered tool
 * requests for a while (`unreliable_tools`), then given another chance: one failure more sends it
 * back, passes bring its rate down. Pure reducers over the user's counters; no prompt text.
 */
import type { ToolRecord } from "../routing/tool-record.js";

/** One home answer's verdict, as the Worker records it. */
export interface CheckRecord {
  /** The home model (its id, without `local/`). */
  model: string;
  family: "tools" | "structured" | "plain";
  ok: boolean;
  /** The check that failed. */
  check?: string;
  /** The exact repair it passed after. */
  repair?: string;
}

export interface FamilyChecks {
  checked: number;
  passed: number;
  repaired: number;
  /** Failures by check. */
  failed: Record<string, number>;
  /** The last RECENT outcomes, oldest first: "1" passed, "0" failed. */
  recent: string;
  /** When the last failure was seen (ms since epoch). */
  lastFailAt?: number;
}

export type ModelChecks = Partial<Record<CheckRecord["family"], FamilyChecks>>;

/** Outcomes in the recent window (what the planner's tool record reads, routing/tool-record.ts). */
export const RECENT = 20;
/** Outcomes the window needs before it may judge a model. */
export const MIN_RECENT = 4;
/** How long a model judged unreliable for tools is passed over before its next chance (ms). */
export const UNRELIABLE_FOR_MS = 10 * 60_000;
/** Policy unreliableToolsAt's default: more than half the recent tool answers failed. */
export const DEFAULT_UNRELIABLE_AT = 0.5;

const empty = (): FamilyChecks => ({ checked: 0, passed: 0, repaired: 0, failed: {}, recent: "" });

/** Adds one answer's verdict. Mutates and returns `m` (model → its counts). */
export function applyCheck(m: Record<string, ModelChecks>, r: CheckRecord, at: number): Record<string, ModelChecks> {
  const f = ((m[r.model] ??= {})[r.family] ??= empty());
  f.checked++;
  if (r.ok) f.passed++;
  if (r.ok && r.repair) f.repaired++;
  if (!r.ok) {
    const check = r.check ?? "unknown";
    f.failed[check] = (f.failed[check] ?? 0) + 1;
    f.lastFailAt = at;
  }
  f.recent = `${f.recent}${r.ok ? "1" : "0"}`.slice(-RECENT);
  return m;
}

/** The share of the recent window that passed; undefined with too few outcomes to say. */
export function recentPassRate(f: FamilyChecks | undefined): number | undefined {
  if (!f || f.recent.length < MIN_RECENT) return undefined;
  return [...f.recent].filter((c) => c === "1").length / f.recent.length;
}

/**
 * Is this model passed over for tool requests now? When more than `failAt` of its recent tool
 * answers failed, until UNRELIABLE_FOR_MS after its last failure: then it gets another chance.
 */
export function toolsUnreliable(m: ModelChecks | undefined, failAt: number, now: number): boolean {
  const f = m?.tools;
  const rate = recentPassRate(f);
  if (rate === undefined || f?.lastFailAt === undefined) return false;
  return 1 - rate > failAt && now - f.lastFailAt < UNRELIABLE_FOR_MS;
}

/** The models passed over for tool requests now. */
export function unreliableToolModels(all: Readonly<Record<string, ModelChecks>> | undefined, failAt: number, now: number): Set<string> {
  const out = new Set<string>();
  for (const [model, m] of Object.entries(all ?? {})) if (toolsUnreliable(m, failAt, now)) out.add(model);
  return out;
}

/**
 * The planner's tool-call record (routing/tool-record.ts): per home model, its recent window of tool
 * answers — how many were checked, how many passed.
 */
export function toolRecordOf(all: Readonly<Record<string, ModelChecks>> | undefined): Record<string, ToolRecord> {
  const out: Record<string, ToolRecord> = {};
  for (const [model, m] of Object.entries(all ?? {})) {
    const recent = m.tools?.recent;
    if (recent) out[model] = { checked: recent.length, passed: [...recent].filter((c) => c === "1").length };
  }
  return out;
}

/** The per-model report for /v1/stats (and the dashboard's Home view). */
export function checksReport(all: Readonly<Record<string, ModelChecks>> | undefined, failAt: number, now: number) {
  const family = (f: FamilyChecks | undefined) =>
    f && {
      checked: f.checked,
      passed: f.passed,
      repaired: f.repaired,
      pass_rate: f.checked ? Math.round((f.passed / f.checked) * 1000) / 1000 : null,
      recent_pass_rate: recentPassRate(f) ?? null,
      failed: f.failed,
    };
  return Object.fromEntries(
    Object.entries(all ?? {}).map(([model, m]) => [model, { tools: family(m.tools) ?? null, structured: family(m.structured) ?? null, unreliable_tools: toolsUnreliable(m, failAt, now) }]),
  );
}

/**
 * The suite's one table: kind × n / complete (how many of them at home) / typed / lost / median and
 * p99 time to the end; beneath it what the lost requests looked like, by client mode and symptom. Pure.
 */
import type { Mode, Outcome, Verdict } from "./classify.js";

export interface RequestResult {
  mode: Mode;
  verdict: Verdict;
  /** From the first send to the end of the answer (or the ceiling). */
  ms: number;
}

export interface KindSummary {
  kind: string;
  n: number;
  counts: Record<Outcome, number>;
  /** Complete answers served by home (the rest came from the cloud). */
  atHome: number;
  medianMs: number;
  p99Ms: number;
  /** "mode: symptom" → how many lost requests showed it. */
  lostBy: Map<string, number>;
  /** Set when the kind did not run as designed: its setup or its disruption failed. */
  failed?: string;
}

/** Nearest-rank percentile of ascending `sorted` (0 for none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? 0;
}

/** Numbers vary per request; the symptom is the words around them. */
const symptom = (why: string) => why.replace(/\d+/g, "N");

export function summarize(kind: string, results: readonly RequestResult[]): KindSummary {
  const counts: Record<Outcome, number> = { complete: 0, typed: 0, lost: 0 };
  const lostBy = new Map<string, number>();
  let atHome = 0;
  for (const r of results) {
    counts[r.verdict.outcome]++;
    // A complete verdict's why is the target that served it.
    if (r.verdict.outcome === "complete" && r.verdict.why.startsWith("local/")) atHome++;
    if (r.verdict.outcome !== "lost") continue;
    const key = `${r.mode}: ${symptom(r.verdict.why)}`;
    lostBy.set(key, (lostBy.get(key) ?? 0) + 1);
  }
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  return { kind, n: results.length, counts, atHome, medianMs: percentile(ms, 50), p99Ms: percentile(ms, 99), lostBy };
}

/** A kind whose setup failed: nothing ran. */
export function failedKind(kind: string, error: string): KindSummary {
  return { kind, n: 0, counts: { complete: 0, typed: 0, lost: 0 }, atHome: 0, medianMs: 0, p99Ms: 0, lostBy: new Map(), failed: `setup failed: ${error}` };
}

const HEAD = ["kind", "n", "complete", "(at home)", "typed", "lost", "median ms", "p99 ms"];

/** A plain-text table, right-aligned numbers; a kind that did not run as designed is starred. */
export function table(summaries: readonly KindSummary[]): string {
  const rows = summaries.map((s) => [`${s.kind}${s.failed ? " *" : ""}`, ...[s.n, s.counts.complete, s.atHome, s.counts.typed, s.counts.lost, s.medianMs, s.p99Ms].map(String)]);
  const sum = (f: (s: KindSummary) => number) => String(summaries.reduce((t, s) => t + f(s), 0));
  const totals = ["total", sum((s) => s.n), sum((s) => s.counts.complete), sum((s) => s.atHome), sum((s) => s.counts.typed), sum((s) => s.counts.lost), "", ""];
  const all = [HEAD, ...rows, totals];
  const widths = HEAD.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)));
  const line = (r: readonly string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join("  ");
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(HEAD), rule, ...rows.map(line), rule, line(all.at(-1) ?? [])].join("\n");
}

/** What the lost requests of each kind looked like, most frequent symptom first, and why a starred kind is. */
export function lostDetails(summaries: readonly KindSummary[]): string {
  const out: string[] = [];
  for (const s of summaries) {
    if (s.failed) out.push(`${s.kind} *: ${s.failed}`);
    const groups = [...s.lostBy].sort((a, b) => b[1] - a[1]);
    for (const [what, n] of groups) out.push(`${s.kind}: ${n} × ${what}`);
  }
  return out.join("\n");
}

/** True when every kind ran and none lost a request. */
export const nothingLost = (summaries: readonly KindSummary[]) => summaries.every((s) => !s.failed && s.counts.lost === 0);

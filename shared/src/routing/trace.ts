/**
 * The `x-hearth-trace` header: one entry per target tried or skipped, in order, e.g.
 * `openai/gpt-4o;outcome=failed;reason=http_429;status=429;ms=12, anthropic/claude-x;outcome=served;status=200;ms=80`.
 * A home entry chosen among models of several sizes adds `pick=easy|hard|memory|busy` (see LocalPick);
 * one whose answer failed a check adds `check=<code>` (reason `invalid_answer`), and one served after
 * an exact repair `repair=<code>`.
 * Parameters follow RFC 8941 list syntax; model names and reasons are written as bare tokens.
 */
import type { AttemptSummary } from "../errors.js";

export function formatTrace(entries: readonly AttemptSummary[]): string {
  return entries
    .map((e) => {
      let s = `${e.target};outcome=${e.outcome}`;
      if (e.outcome !== "served") s += `;reason=${e.reason}`;
      if (e.pick !== undefined) s += `;pick=${e.pick}`;
      if (e.check !== undefined) s += `;check=${e.check}`;
      if (e.repair !== undefined) s += `;repair=${e.repair}`;
      if (e.status !== undefined) s += `;status=${e.status}`;
      if (e.ms !== undefined) s += `;ms=${Math.round(e.ms)}`;
      return s;
    })
    .join(", ");
}

/** The inverse of formatTrace, for clients and tests. */
export function parseTrace(header: string | null | undefined): AttemptSummary[] {
  if (!header) return [];
  return header.split(",").map((item) => {
    const [target = "", ...params] = item.trim().split(";");
    const entry: AttemptSummary = { target, outcome: "failed", reason: "" };
    for (const param of params) {
      const [key, value = ""] = param.split("=");
      if (key === "outcome") entry.outcome = value as AttemptSummary["outcome"];
      else if (key === "reason") entry.reason = value;
      else if (key === "status") entry.status = Number(value);
      else if (key === "ms") entry.ms = Number(value);
      else if (key === "pick") entry.pick = value;
      else if (key === "check") entry.check = value;
      else if (key === "repair") entry.repair = value;
    }
    if (entry.outcome === "served" && entry.reason === "") entry.reason = "ok";
    return entry;
  });
}

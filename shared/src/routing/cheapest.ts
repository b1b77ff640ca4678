/**
 * Cloud targets cheapest first among those whose context holds the request — what a rule's
 * `cloudOrder: "cheapest"` asks for (the compaction default: a long conversation to summarise wants
 * the cheapest model that can read all of it, not the strongest). The cost is this request's, from the
 * price table (prompt tokens at the input price, the answer room at the output price). Targets whose
 * known window is too small go last rather than being left out: the token count is an estimate, and
 * a 400 from the upstream says more than a guess. Unpriced targets come after priced ones; ties keep
 * the listed order.
 */
import { costOf, type PriceTable } from "../stats/prices.js";
import { contextWindowOf } from "./context-windows.js";
import { parseTarget } from "./targets.js";

export interface CheapestInput {
  prices: PriceTable;
  promptTokens: number;
  /** Room kept for the answer (tokens). */
  answerTokens: number;
}

export function cheapestFirst(names: readonly string[], o: CheapestInput): { ordered: string[]; note: string } {
  const need = o.promptTokens + o.answerTokens;
  const rows = names.map((name, i) => {
    const id = parseTarget(name)?.id ?? name;
    const window = contextWindowOf(id);
    const cost = costOf(o.prices, id, o.promptTokens, o.answerTokens);
    return { name, i, fits: window === undefined || window >= need, cost: cost ?? Infinity };
  });
  rows.sort((a, b) => Number(b.fits) - Number(a.fits) || a.cost - b.cost || a.i - b.i);
  const priced = (r: (typeof rows)[number]) => `${r.name}${Number.isFinite(r.cost) ? ` ~$${r.cost.toFixed(4)}` : " (no price)"}`;
  const small = rows.filter((r) => !r.fits);
  const note = `cloud ordered cheapest first whose context holds ~${need} tokens: ${rows.filter((r) => r.fits).map(priced).join(", ") || "none"}${small.length ? `; context too small, tried last: ${small.map((r) => r.name).join(", ")}` : ""}`;
  return { ordered: rows.map((r) => r.name), note };
}

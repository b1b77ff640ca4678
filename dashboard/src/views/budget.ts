/**
 * Spend against budget, from the `budget` section of /v1/stats. Reads the fields defensively: a
 * deployment without budgets has no section, and the card says so instead of breaking.
 */
import { card, fmtUsd, h, note } from "../dom.js";

export interface BudgetPeriod {
  limit_usd: number | null;
  spent_usd: number;
}

/** The section as the Worker reports it; every field optional so an older Worker cannot break the view. */
export interface BudgetReport {
  daily?: Partial<BudgetPeriod> | null;
  monthly?: Partial<BudgetPeriod> | null;
  on_exceeded?: string;
  exceeded?: boolean | string | null;
  [other: string]: unknown;
}

function meter(label: string, p: Partial<BudgetPeriod> | null | undefined): HTMLElement | null {
  if (!p || typeof p.limit_usd !== "number") return null;
  const spent = p.spent_usd ?? 0;
  const share = p.limit_usd > 0 ? spent / p.limit_usd : 1;
  const m = h("meter", { min: 0, max: p.limit_usd, value: Math.min(spent, p.limit_usd), high: p.limit_usd * 0.8, optimum: 0, "aria-label": `${label} spend against budget` });
  return h("div", { class: "budget-row" }, h("div", { class: "budget-label" }, label), m, h("div", { class: "budget-value" }, `${fmtUsd(spent)} of ${fmtUsd(p.limit_usd)} (${Math.round(share * 100)}%)`));
}

export function budgetCard(b: BudgetReport | undefined): HTMLElement {
  if (!b) return card("Budget", note("info", "This deployment reports no cloud budget. Set one in Routing (policy field budget) where budgets are supported."));
  const rows = [meter("Today", b.daily), meter("This month", b.monthly)].filter((r): r is HTMLElement => r !== null);
  const exceeded = b.exceeded === true || (typeof b.exceeded === "string" && b.exceeded !== "");
  return card(
    "Budget",
    rows.length ? h("div", { class: "budget" }, ...rows) : note("info", "No budget set: cloud spend is not capped. Set budget.dailyUsd or budget.monthlyUsd in Routing."),
    exceeded
      ? note("error", `Budget reached${typeof b.exceeded === "string" ? ` (${b.exceeded})` : ""}: ${b.on_exceeded ? `${b.on_exceeded} until it resets` : "cloud calls are stopped until it resets"}.`)
      : null,
  );
}

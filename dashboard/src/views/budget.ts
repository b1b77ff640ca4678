/**
 * Spend against budget, from the `budget` section of /v1/stats: per UTC day and calendar month, the
 * spend, the limit in force (the stricter of the user's policy and the deployment's) and what happens
 * at the limit. Read defensively: a Worker without budgets has no section, and the card says so.
 */
import { card, fmtUsd, h, note } from "../dom.js";

export interface BudgetPeriod {
  spent_usd: number;
  limit_usd: number | null;
  remaining_usd?: number | null;
  resets_at?: string;
}

export interface BudgetReport {
  state?: "none" | "ok" | "near" | "exceeded";
  on_exceeded?: string;
  reserved_usd?: number;
  day?: BudgetPeriod;
  month?: BudgetPeriod;
}

const ACTION: Record<string, string> = {
  home_only: "the cloud is left out and home answers what it can",
  refuse: "cloud calls are refused",
};

function meter(label: string, p: BudgetPeriod | undefined, testid: string): HTMLElement | null {
  if (!p || typeof p.limit_usd !== "number") return null;
  const spent = p.spent_usd ?? 0;
  const share = p.limit_usd > 0 ? spent / p.limit_usd : 1;
  const m = h("meter", { min: 0, max: p.limit_usd || 1, value: Math.min(spent, p.limit_usd), low: p.limit_usd * 0.5, high: p.limit_usd * 0.8, optimum: 0, "aria-label": `${label}: spend against budget` });
  const resets = p.resets_at ? `, resets ${new Date(p.resets_at).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" })}` : "";
  return h("div", { class: "budget-row", "data-testid": testid }, h("div", { class: "budget-label" }, label), m, h("div", { class: "budget-value" }, `${fmtUsd(spent)} of ${fmtUsd(p.limit_usd)} (${Math.round(share * 100)}%)${resets}`));
}

export function budgetCard(b: BudgetReport | undefined): HTMLElement {
  if (!b) return card("Cloud budget", note("info", "This deployment reports no cloud budget."));
  const rows = [meter("Today", b.day, "budget-day"), meter("This month", b.month, "budget-month")].filter((r): r is HTMLElement => r !== null);
  const action = ACTION[b.on_exceeded ?? ""] ?? b.on_exceeded ?? "cloud calls stop";
  return h(
    "section",
    { class: "card", "data-testid": "budget", "data-state": b.state ?? "none" },
    h("h2", {}, "Cloud budget"),
    rows.length ? h("div", { class: "budget" }, ...rows) : note("info", "No budget set: cloud spend is not capped. Set a daily or monthly budget in Routing."),
    b.state === "exceeded" ? note("error", h("strong", {}, "Budget reached"), `: ${action} until it resets.`) : null,
    b.state === "near" ? note("warn", `Over 80% of the budget is spent. At the limit, ${action}.`) : null,
  );
}

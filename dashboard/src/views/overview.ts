/**
 * Overview: where requests were served over time, the local share, time to first token per target,
 * fallbacks by reason, cloud spend and cost avoided, and spend against budget — over the last hour,
 * day or week. Totals come from /v1/stats; the charts from /v1/stats/series (degrades to totals only
 * where a deployment has no series).
 */
import type { SeriesPoint } from "@hearth/shared";
import { api, optional } from "../api.js";
import { stackedChart, timeChart } from "../charts.js";
import { card, colorsFor, fmtInt, fmtMs, fmtPct, fmtUsd, h, note, replace, tile } from "../dom.js";
import { budgetCard, type BudgetReport } from "./budget.js";
import type { View } from "./types.js";

interface Stats {
  requests: { total: number; served: number; failed: number; fell_back: number };
  local_share: number;
  cost: { avoided_usd: number; cloud_usd: number };
  fallbacks: Record<string, number>;
  budget?: BudgetReport;
}

interface Series {
  range: string;
  step_s: number;
  targets: string[];
  points: SeriesPoint[];
}

const RANGES = [
  ["1h", "Last hour"],
  ["24h", "Last day"],
  ["7d", "Last week"],
] as const;

let chosen = "24h";

function sum<T>(list: readonly T[], f: (x: T) => number): number {
  return list.reduce((n, x) => n + f(x), 0);
}

/** A bar whose width is a share; set through the CSSOM, which the page's CSP allows (style attributes it does not). */
export function widthBar(share: number, cls = "bar"): HTMLElement {
  const bar = h("span", { class: cls });
  // Anything above zero stays visible; zero is empty.
  bar.style.setProperty("--w", share > 0 ? `${Math.max(2, Math.min(100, share * 100))}%` : "0");
  return bar;
}

function fallbackBars(counts: Record<string, number>): HTMLElement {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return note("info", "No fallbacks in this range: every request went to the first target of its plan.");
  const max = Math.max(...entries.map(([, n]) => n));
  return h(
    "ul",
    { class: "bars" },
    ...entries.map(([reason, n]) =>
      h("li", {}, h("span", { class: "bar-label" }, reason), widthBar(n / max), h("span", { class: "bar-value" }, fmtInt(n))),
    ),
  );
}

function charts(body: HTMLElement, s: Series, disposers: (() => void)[]): void {
  const times = s.points.map((p) => p.t);
  const served = s.targets.filter((t) => s.points.some((p) => (p.requests[t] ?? 0) > 0));
  const colors = colorsFor(served);
  const reqEl = h("div", { class: "chart", role: "img", "aria-label": "Requests over time by where they were served" });
  const ttftEl = h("div", { class: "chart", role: "img", "aria-label": "Time to first token, p50 and p95, per target over time" });
  const costEl = h("div", { class: "chart", role: "img", "aria-label": "Cloud spend and cost avoided over the range, cumulative" });
  const ttftTargets = served.filter((t) => s.points.some((p) => p.ttft_ms[t]));
  let spend = 0;
  let avoided = 0;
  const cumSpend = s.points.map((p) => (spend += p.spend_usd));
  const cumAvoided = s.points.map((p) => (avoided += p.avoided_usd));
  body.append(
    card("Requests by where they were served", served.length ? reqEl : note("info", "No requests in this range yet.")),
    card("Time to first token (p50 solid, p95 dashed)", ttftTargets.length ? ttftEl : note("info", "No answers in this range yet.")),
    card("Cloud spend and cost avoided (cumulative)", costEl),
  );
  if (served.length) {
    disposers.push(stackedChart(reqEl, { times, stepS: s.step_s, integer: true, format: (v) => fmtInt(v), lines: served.map((t) => ({ label: t, color: colors.get(t) ?? "#888", values: s.points.map((p) => p.requests[t] ?? 0) })) }).destroy);
  }
  if (ttftTargets.length) {
    const lines = ttftTargets.flatMap((t) => [
      { label: `${t} p50`, color: colors.get(t) ?? "#888", values: s.points.map((p) => p.ttft_ms[t]?.p50 ?? null) },
      { label: `${t} p95`, color: colors.get(t) ?? "#888", dash: [6, 4], values: s.points.map((p) => p.ttft_ms[t]?.p95 ?? null) },
    ]);
    disposers.push(timeChart(ttftEl, { times, stepS: s.step_s, format: (v) => fmtMs(v), lines }).destroy);
  }
  disposers.push(
    timeChart(costEl, {
      times,
      stepS: s.step_s,
      format: (v) => fmtUsd(v),
      lines: [
        { label: "cloud spend", color: "#e8590c", values: cumSpend },
        { label: "avoided at home", color: "#2b8a3e", values: cumAvoided },
      ],
    }).destroy,
  );
}

export const overviewView: View = (root) => {
  let disposers: (() => void)[] = [];
  const abort = new AbortController();
  const ranges = h("div", { class: "segmented", role: "radiogroup", "aria-label": "Time range" });
  const body = h("div", { class: "grid", "aria-live": "polite", "aria-busy": "true" });
  const header = h("div", { class: "view-head" }, h("h1", {}, "Overview"), ranges);
  replace(root, header, body);

  function drawRanges(): void {
    replace(
      ranges,
      ...RANGES.map(([id, label]) => {
        const b = h("button", { type: "button", role: "radio", "aria-checked": String(id === chosen), tabindex: id === chosen ? 0 : -1 }, label);
        b.addEventListener("click", () => {
          chosen = id;
          drawRanges();
          void load();
        });
        b.addEventListener("keydown", (ev) => {
          const i = RANGES.findIndex(([r]) => r === chosen);
          const d = ev.key === "ArrowRight" || ev.key === "ArrowDown" ? 1 : ev.key === "ArrowLeft" || ev.key === "ArrowUp" ? -1 : 0;
          if (!d) return;
          ev.preventDefault();
          chosen = RANGES[(i + d + RANGES.length) % RANGES.length]?.[0] ?? chosen;
          drawRanges();
          (ranges.querySelector('[aria-checked="true"]') as HTMLElement | null)?.focus();
          void load();
        });
        return b;
      }),
    );
  }

  /** Numbers each load, so an answer for a range the user has since left is dropped, not drawn. */
  let loads = 0;

  async function load(): Promise<void> {
    const mine = ++loads;
    body.setAttribute("aria-busy", "true");
    try {
      const [stats, series] = await Promise.all([api<Stats>("/v1/stats", { signal: abort.signal }), optional<Series>(`/v1/stats/series?range=${chosen}`)]);
      if (mine !== loads) return;
      for (const d of disposers) d();
      disposers = [];
      replace(body);
      const pts = series?.points ?? [];
      const local = sum(pts, (p) => p.local);
      const cloud = sum(pts, (p) => p.cloud);
      const label = RANGES.find(([r]) => r === chosen)?.[1].toLowerCase() ?? chosen;
      body.append(
        h(
          "div",
          { class: "tiles" },
          series
            ? tile("Requests", fmtInt(sum(pts, (p) => Object.values(p.requests).reduce((a, b) => a + b, 0) + p.failed)), `${label}; ${fmtInt(stats.requests.total)} in all`, { "data-testid": "tile-requests" })
            : tile("Requests", fmtInt(stats.requests.total), "since the stats began", { "data-testid": "tile-requests" }),
          tile("Served at home", series ? (local + cloud ? fmtPct(local / (local + cloud)) : "–") : fmtPct(stats.local_share), series ? `${fmtInt(local)} home, ${fmtInt(cloud)} cloud` : "of all requests", { "data-testid": "tile-local" }),
          tile("Cloud spend", fmtUsd(series ? sum(pts, (p) => p.spend_usd) : stats.cost.cloud_usd), series ? label : "in all"),
          tile("Cost avoided", fmtUsd(series ? sum(pts, (p) => p.avoided_usd) : stats.cost.avoided_usd), "what home's answers would have cost in the cloud"),
        ),
      );
      if (stats.requests.total === 0) {
        body.append(
          note(
            "info",
            "No requests yet. Make one with your API key and it shows here and in Live: ",
            h("code", {}, `curl ${location.origin}/v1/chat/completions -H "authorization: Bearer $HEARTH_API_KEY" -d '{"model":"auto","messages":[{"role":"user","content":"Hello!"}]}'`),
          ),
        );
      }
      body.append(budgetCard(stats.budget));
      if (series) charts(body, series, disposers);
      else body.append(note("warn", "Charts over time need GET /v1/stats/series, which this deployment does not have yet; the figures above are totals since the stats began."));
      const fallbacks: Record<string, number> = {};
      if (series) for (const p of pts) for (const [k, n] of Object.entries(p.fallbacks)) fallbacks[k] = (fallbacks[k] ?? 0) + n;
      body.append(card(series ? "Fallbacks by reason" : "Fallbacks by reason (since the stats began)", fallbackBars(series ? fallbacks : stats.fallbacks)));
    } catch (err) {
      if (abort.signal.aborted) return;
      replace(body, note("error", `Could not load the statistics: ${err instanceof Error ? err.message : String(err)}`));
    } finally {
      if (mine === loads) body.setAttribute("aria-busy", "false");
    }
  }

  drawRanges();
  void load();
  const timer = setInterval(() => void load(), 30_000);
  return () => {
    abort.abort();
    clearInterval(timer);
    for (const d of disposers) d();
  };
};

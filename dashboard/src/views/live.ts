/**
 * Live: each request as it finishes, pushed over the /v1/live WebSocket (the session cookie
 * authenticates it) — time, kind, rule, who served, time to first token, tokens, outcome and
 * fallbacks. The records carry no prompt text and this view shows none. Reconnects with backoff
 * (live-socket.ts).
 */
import type { HomeEvent, LiveRequest } from "@hearth/shared";
import { fmtInt, fmtMs, fmtTime, h, note, replace } from "../dom.js";
import { openLive } from "../live-socket.js";
import type { View } from "./types.js";

const MAX_ROWS = 200;

/** Fallbacks as sent: a list of {target, reason} (or strings), or a map of reason → count. */
export function fallbackText(f: unknown): string {
  if (!f) return "";
  if (Array.isArray(f)) {
    return f
      .map((x) => (typeof x === "string" ? x : x && typeof x === "object" ? [(x as { target?: string }).target, (x as { reason?: string }).reason].filter(Boolean).join(": ") : ""))
      .filter(Boolean)
      .join(", ");
  }
  if (typeof f === "object") return Object.entries(f as Record<string, unknown>).map(([k, v]) => (typeof v === "number" && v > 1 ? `${k} ×${v}` : k)).join(", ");
  return String(f);
}

const at = (v: number | string | undefined) => fmtTime(v === undefined ? new Date() : new Date(typeof v === "number" && v < 1e12 ? v * 1000 : v));

function row(r: LiveRequest): HTMLTableRowElement {
  const ok = r.outcome === "ok";
  const where = r.served ?? "none";
  return h(
    "tr",
    { class: ok ? "" : "row-bad" },
    h("td", { "data-label": "Time" }, at(r.at)),
    h("td", { "data-label": "Kind" }, r.kind ?? "–"),
    h("td", { "data-label": "Rule" }, r.rule ?? "–"),
    h(
      "td",
      { "data-label": "Served by" },
      h("code", { class: where.startsWith("local") ? "home" : "cloud" }, where),
      r.first && r.first !== r.served ? h("div", { class: "muted small" }, `planned first: ${r.first}`) : null,
    ),
    h("td", { class: "num", "data-label": "First token" }, fmtMs(r.ttft_ms)),
    h("td", { class: "num", "data-label": "Tokens" }, `${fmtInt(r.prompt_tokens ?? 0)} → ${fmtInt(r.completion_tokens ?? 0)}`),
    h("td", { class: "num", "data-label": "Total" }, fmtMs(r.total_ms)),
    h(
      "td",
      { "data-label": "Outcome" },
      h("span", { class: `badge badge-${ok ? "ok" : "bad"}` }, r.outcome ?? "–"),
      r.error && !ok ? h("div", { class: "muted small" }, r.error) : null,
      r.stream ? h("div", { class: "muted small" }, "stream") : null,
    ),
    h("td", { "data-label": "Fallbacks" }, fallbackText(r.fallbacks) || "–"),
  );
}

export const liveView: View = (root) => {
  const status = h("div", { class: "live-status", role: "status" }, "Connecting…");
  const homeLine = h("div", { class: "muted small", "aria-live": "polite" });
  const tbody = h("tbody", {});
  const empty = h("tr", { class: "empty" }, h("td", { colspan: 9 }, "Waiting for requests. Each one appears here as it finishes."));
  tbody.append(empty);
  const table = h(
    "div",
    { class: "table-wrap", tabindex: 0, role: "region", "aria-label": "Requests as they happen" },
    h("table", { "data-testid": "live-table", class: "stack" }, h("thead", {}, h("tr", {}, ...["Time", "Kind", "Rule", "Served by", "First token", "Tokens", "Total", "Outcome", "Fallbacks"].map((c) => h("th", { scope: "col" }, c)))), tbody),
  );
  replace(root, h("div", { class: "view-head" }, h("h1", {}, "Live"), status), homeLine, h("section", { class: "card" }, table));

  return openLive({
    open: () => replace(status, h("span", { class: "badge badge-ok" }, "live")),
    message: (m) => {
      const r = m as LiveRequest | HomeEvent | { type?: undefined };
      if (r.type === "home") {
        replace(homeLine, `Home ${at(r.at)}: ${describeHome(r)}`);
        return;
      }
      if (r.type !== "request") return;
      empty.remove();
      tbody.prepend(row(r));
      while (tbody.rows.length > MAX_ROWS) tbody.lastElementChild?.remove();
    },
    closed: (everOpened) =>
      replace(
        status,
        everOpened
          ? h("span", { class: "badge badge-warn" }, "reconnecting…")
          : note("warn", "Live updates are not available: this deployment did not accept a WebSocket at /v1/live. Retrying…"),
      ),
  });
};

/** One line for a sidecar change: which machine, what happened, its slots and queue when reported. */
function describeHome(r: HomeEvent): string {
  const sc = r.sidecar;
  const who = sc?.name ?? sc?.id ?? "a sidecar";
  const said: Record<string, string> = { connected: "connected", state: "reported", draining: "is draining", disconnected: "disconnected", breaker: "breaker changed" };
  const parts = [`${who} ${said[r.event ?? ""] ?? "changed"}`];
  if (sc?.slots) parts.push(`${sc.slots.free} of ${sc.slots.total} slots free`);
  if (sc?.queue) parts.push(`${sc.queue.depth} queued`);
  if (sc?.breaker && sc.breaker !== "closed") parts.push(`breaker ${sc.breaker}`);
  return parts.join(", ");
}

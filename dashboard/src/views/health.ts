/**
 * A health card: each check of GET /v1/health (or /admin/health for the operator) with its status
 * and reason, worst first. Says so plainly where a deployment has no such route.
 */
import { optional } from "../api.js";
import { card, h, note, replace } from "../dom.js";

interface Check {
  name: string;
  status: "ok" | "warn" | "fail";
  reason: string;
}

const RANK = { fail: 0, warn: 1, ok: 2 } as const;
const BADGE = { ok: "badge-ok", warn: "badge-warn", fail: "badge-bad" } as const;

export function healthCard(path: "/v1/health" | "/admin/health", signal: AbortSignal): HTMLElement {
  const body = h("div", { "aria-live": "polite" }, h("p", { class: "muted small" }, "Checking…"));
  const el = card("Health", body);
  el.setAttribute("data-testid", "health");
  optional<{ status: Check["status"]; checks: Check[] }>(path)
    .then((r) => {
      if (signal.aborted) return;
      if (!r) return replace(body, note("warn", `This deployment has no ${path} yet.`));
      const checks = [...r.checks].sort((a, b) => RANK[a.status] - RANK[b.status]);
      el.querySelector("h2")?.append(" ", h("span", { class: `badge ${BADGE[r.status]}` }, r.status));
      replace(
        body,
        h(
          "ul",
          { class: "checks" },
          ...checks.map((c) => h("li", {}, h("span", { class: `badge ${BADGE[c.status]}` }, c.status), h("code", {}, c.name), h("span", { class: "muted" }, c.reason))),
        ),
      );
    })
    .catch((err: unknown) => {
      if (!signal.aborted) replace(body, note("error", `Could not check health: ${err instanceof Error ? err.message : String(err)}`));
    });
  return el;
}

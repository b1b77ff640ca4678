/**
 * Routing: the policy, edited as JSON with the common switches as controls above it (they write into
 * the JSON), saved with PUT /v1/policy — a bad field comes back named and is marked here — and an
 * explain box: a prompt in, the plan Hearth would follow now and why out (POST /v1/route/explain).
 */
import { api, ApiError } from "../api.js";
import { card, fmtMs, h, note, replace } from "../dom.js";
import type { View } from "./types.js";

type Policy = Record<string, unknown>;

interface Explain {
  model: string;
  mode: string;
  private: boolean;
  features: { kind: string; complexity: number; prompt_tokens: number; tools: boolean; images: boolean; json: boolean };
  rule: { name: string; matched: string } | null;
  targets: { target: string; deadline_ms: number; why: string; waits_for?: string }[];
  skipped: { target: string; reason: string }[];
  hedge: { primary: string; backup: string; after_ms: number } | null;
  notes?: string[];
}

const MODES = ["local_first", "local_only", "cloud_only", "hybrid"];

function controls(editor: HTMLTextAreaElement, onChange: () => void) {
  const mode = h("select", { id: "pol-mode", "data-field": "mode" }, h("option", { value: "" }, "default (local_first)"), ...MODES.map((m) => h("option", { value: m }, m)));
  const priv = h("input", { id: "pol-private", type: "checkbox", "data-field": "private" });
  const hedge = h("input", { id: "pol-hedge", type: "checkbox", "data-field": "hedge.enabled" });
  const daily = h("input", { id: "pol-daily", type: "number", min: 0, step: "any", inputmode: "decimal", placeholder: "none", "data-field": "budget.dailyUsd" });
  const monthly = h("input", { id: "pol-monthly", type: "number", min: 0, step: "any", inputmode: "decimal", placeholder: "none", "data-field": "budget.monthlyUsd" });
  const onExceeded = h(
    "select",
    { id: "pol-exceeded", "data-field": "budget.onExceeded" },
    h("option", { value: "" }, "default (home only)"),
    h("option", { value: "home_only" }, "home only"),
    h("option", { value: "refuse" }, "refuse cloud calls"),
  );

  const read = (): Policy | undefined => {
    try {
      const p = JSON.parse(editor.value || "{}") as unknown;
      return p && typeof p === "object" && !Array.isArray(p) ? (p as Policy) : undefined;
    } catch {
      return undefined;
    }
  };
  const fill = () => {
    const p = read();
    if (!p) return;
    mode.value = typeof p.mode === "string" ? p.mode : "";
    priv.checked = p.private === true;
    hedge.checked = (p.hedge as { enabled?: boolean } | undefined)?.enabled === true;
    const b = (p.budget ?? {}) as { dailyUsd?: number; monthlyUsd?: number; onExceeded?: string };
    onExceeded.value = b.onExceeded ?? "";
    daily.value = b.dailyUsd === undefined ? "" : String(b.dailyUsd);
    monthly.value = b.monthlyUsd === undefined ? "" : String(b.monthlyUsd);
  };
  const write = () => {
    const p = read() ?? {};
    if (mode.value) p.mode = mode.value;
    else delete p.mode;
    if (priv.checked) p.private = true;
    else delete p.private;
    const hedgeNow = { ...((p.hedge as object | undefined) ?? {}), enabled: hedge.checked };
    if (hedge.checked || p.hedge) p.hedge = hedgeNow;
    const budget = { ...((p.budget as Record<string, unknown> | undefined) ?? {}) };
    for (const [el, key] of [[daily, "dailyUsd"], [monthly, "monthlyUsd"]] as const) {
      if (el.value === "") delete budget[key];
      else budget[key] = Number(el.value);
    }
    if (onExceeded.value) budget.onExceeded = onExceeded.value;
    else delete budget.onExceeded;
    if (Object.keys(budget).length) p.budget = budget;
    else delete p.budget;
    editor.value = JSON.stringify(p, null, 2);
    onChange();
  };
  for (const el of [mode, priv, hedge, daily, monthly, onExceeded]) el.addEventListener("change", write);
  editor.addEventListener("input", fill);
  const field = (label: string, el: HTMLElement, hint?: string) => h("div", { class: "field" }, h("label", { for: el.id }, label), el, hint ? h("div", { class: "muted small" }, hint) : null);
  const form = h(
    "div",
    { class: "fields" },
    field("Mode", mode, "where auto requests go first"),
    field("Private", priv, "never send anything to the cloud"),
    field("Hedging", hedge, "start the cloud beside a slow home answer"),
    field("Daily cloud budget (USD)", daily),
    field("Monthly cloud budget (USD)", monthly),
    field("At the budget", onExceeded),
  );
  return { form, fill };
}

function explainResult(x: Explain): HTMLElement {
  return h(
    "div",
    { class: "explain", "data-testid": "explain-result" },
    h(
      "p",
      {},
      `Mode ${x.mode}${x.private ? " (private)" : ""}. Looks like `,
      h("strong", {}, x.features.kind),
      `, complexity ${x.features.complexity}, ${x.features.prompt_tokens} prompt tokens${x.features.tools ? ", tools" : ""}${x.features.images ? ", images" : ""}${x.features.json ? ", JSON" : ""}.`,
      x.rule ? h("span", {}, " Rule ", h("code", {}, x.rule.name), ` matched: ${x.rule.matched}.`) : " No rule matched.",
    ),
    x.targets.length
      ? h("ol", { class: "plan" }, ...x.targets.map((t) => h("li", {}, h("code", {}, t.target), ` — first content within ${fmtMs(t.deadline_ms)}${t.waits_for ? `, waits for ${t.waits_for}` : ""}. `, h("span", { class: "muted" }, t.why))))
      : note("error", "No target can serve this request now."),
    x.skipped.length ? h("p", { class: "muted" }, "Skipped: ", x.skipped.map((s) => `${s.target} (${s.reason})`).join(", "), ".") : null,
    x.hedge ? h("p", {}, `Hedge: ${x.hedge.backup} starts if ${x.hedge.primary} has not answered after ${fmtMs(x.hedge.after_ms)}.`) : null,
    x.notes?.length ? h("ul", { class: "muted" }, ...x.notes.map((n) => h("li", {}, n))) : null,
  );
}

function explainBox(): HTMLElement {
  const prompt = h("textarea", { id: "explain-prompt", rows: 3, placeholder: "Write a Python function that parses a CSV file" });
  const model = h("input", { id: "explain-model", value: "auto", spellcheck: "false" });
  const out = h("div", { "aria-live": "polite" });
  const go = h("button", { type: "submit", class: "primary" }, "Explain");
  const form = h("form", { class: "explain-form" }, h("label", { for: "explain-prompt" }, "Prompt"), prompt, h("div", { class: "row" }, h("label", { for: "explain-model" }, "Model"), model, go), out);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    go.disabled = true;
    api<Explain>("/v1/route/explain", { method: "POST", body: { model: model.value.trim() || "auto", messages: [{ role: "user", content: prompt.value || " " }] } })
      .then((x) => replace(out, explainResult(x)))
      .catch((err: unknown) => replace(out, note("error", err instanceof ApiError ? `${err.param ? `${err.param}: ` : ""}${err.message}` : String(err))))
      .finally(() => (go.disabled = false));
  });
  return card("Explain a request", h("p", { class: "muted small" }, "The plan Hearth would follow for this prompt right now — nothing is sent to any model."), form);
}

export const routingView: View = (root) => {
  const editor = h("textarea", { id: "policy-json", rows: 14, spellcheck: "false", class: "code", "aria-describedby": "policy-status" });
  const status = h("div", { id: "policy-status", "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "primary" }, "Save policy");
  const { form: fields, fill } = controls(editor, () => replace(status));
  const clearMarks = () => root.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  const form = h(
    "form",
    { class: "policy-form" },
    fields,
    h("label", { for: "policy-json" }, "Policy (JSON; every field is optional — {} is every default)"),
    editor,
    h("div", { class: "row" }, save, status),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    clearMarks();
    let policy: unknown;
    try {
      policy = JSON.parse(editor.value || "{}");
    } catch (err) {
      editor.setAttribute("aria-invalid", "true");
      replace(status, note("error", `Not valid JSON: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    save.disabled = true;
    api<Policy>("/v1/policy", { method: "PUT", body: policy })
      .then((p) => {
        editor.value = JSON.stringify(p, null, 2);
        fill();
        replace(status, note("info", "Saved. New requests use it within a few seconds."));
      })
      .catch((err: unknown) => {
        if (!(err instanceof ApiError)) return replace(status, note("error", String(err)));
        const control = err.param ? root.querySelector<HTMLElement>(`[data-field="${CSS.escape(err.param)}"]`) : null;
        (control ?? editor).setAttribute("aria-invalid", "true");
        replace(status, note("error", h("strong", { "data-testid": "policy-error-field" }, err.param ?? err.code), `: ${err.message}`));
        (control ?? editor).focus();
      })
      .finally(() => (save.disabled = false));
  });
  replace(root, h("div", { class: "view-head" }, h("h1", {}, "Routing")), h("div", { class: "grid two" }, card("Policy", form), explainBox()));
  const abort = new AbortController();
  api<Policy>("/v1/policy", { signal: abort.signal })
    .then((p) => {
      editor.value = JSON.stringify(p, null, 2);
      fill();
    })
    .catch((err: unknown) => {
      if (!abort.signal.aborted) replace(status, note("error", `Could not load the policy: ${err instanceof Error ? err.message : String(err)}`));
    });
  return () => abort.abort();
};

/**
 * Admin (operator session): users with their keys and usage; create a user, issue and revoke keys and
 * sidecar tokens (a new secret is shown once, here, and never again), edit a user's policy.
 */
import { api, ApiError, optional } from "../api.js";
import { card, fmtInt, fmtPct, fmtUsd, h, note, replace } from "../dom.js";
import { healthCard } from "./health.js";
import type { View } from "./types.js";

interface Credential {
  id: string;
  kind: "api" | "sidecar";
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
}
interface User {
  id: string;
  name: string;
  policy: Record<string, unknown>;
  createdAt: number;
  credentials: Credential[];
}
interface Usage {
  user_id: string;
  requests: { total: number };
  local_share: number;
  cloud_usd: number;
  avoided_usd: number;
  sidecars: number;
}

const errText = (err: unknown) => (err instanceof ApiError ? `${err.param ? `${err.param}: ` : ""}${err.message}` : String(err));

function secretBox(title: string, secrets: [string, string][]): HTMLElement {
  return note(
    "warn",
    h("strong", {}, title),
    " Shown once — copy it now; Hearth keeps only a hash.",
    ...secrets.map(([label, value]) => {
      const copy = h("button", { type: "button", class: "small-button" }, "Copy");
      copy.addEventListener("click", () => void navigator.clipboard?.writeText(value).then(() => (copy.textContent = "Copied")));
      return h("div", { class: "command" }, h("span", { class: "muted small" }, label), h("code", { "data-testid": "secret" }, value), copy);
    }),
  );
}

export const adminView: View = (root) => {
  const flash = h("div", { "aria-live": "polite" });
  const list = h("div", { class: "grid spaced" });
  const name = h("input", { id: "new-user", required: true, maxlength: 100, placeholder: "alice", autocomplete: "off" });
  const create = h("form", { class: "row" }, h("label", { for: "new-user" }, "New user"), name, h("button", { type: "submit", class: "primary" }, "Create"));
  const abort = new AbortController();
  replace(root, h("div", { class: "view-head" }, h("h1", {}, "Admin")), healthCard("/admin/health", abort.signal), h("div", { class: "spaced" }, card("Users", create, flash)), list);

  create.addEventListener("submit", (ev) => {
    ev.preventDefault();
    api<{ id: string; name: string; apiKey: string; sidecarToken: string }>("/admin/users", { method: "POST", body: { name: name.value.trim() } })
      .then((u) => {
        name.value = "";
        replace(flash, secretBox(`Created ${u.name}.`, [["API key", u.apiKey], ["sidecar token", u.sidecarToken]]));
        void load();
      })
      .catch((err: unknown) => replace(flash, note("error", errText(err))));
  });

  function credentialRow(u: User, c: Credential): HTMLElement {
    const revoke = h("button", { type: "button", class: "small-button danger", "aria-label": `Revoke ${c.prefix}… of ${u.name}` }, "Revoke");
    revoke.addEventListener("click", () => {
      if (!confirm(`Revoke ${c.kind === "api" ? "API key" : "sidecar token"} ${c.prefix}… of ${u.name}?`)) return;
      api(`/admin/users/${encodeURIComponent(u.id)}/credentials/${encodeURIComponent(c.id)}`, { method: "DELETE" })
        .then(() => load())
        .catch((err: unknown) => replace(flash, note("error", errText(err))));
    });
    return h(
      "li",
      { class: c.revokedAt ? "revoked" : "" },
      h("code", {}, `${c.prefix}…`),
      ` ${c.kind === "api" ? "API key" : "sidecar token"}, ${new Date(c.createdAt).toLocaleDateString()}`,
      c.revokedAt ? h("span", { class: "badge" }, " revoked") : revoke,
    );
  }

  function userCard(u: User, use: Usage | undefined): HTMLElement {
    const issue = (kind: "api" | "sidecar") => {
      const b = h("button", { type: "button", class: "small-button" }, kind === "api" ? "Issue API key" : "Issue sidecar token");
      b.addEventListener("click", () => {
        api<{ key: string }>(`/admin/users/${encodeURIComponent(u.id)}/credentials`, { method: "POST", body: { kind } })
          .then((c) => {
            replace(flash, secretBox(`New ${kind === "api" ? "API key" : "sidecar token"} for ${u.name}.`, [[kind === "api" ? "API key" : "sidecar token", c.key]]));
            void load();
            flash.scrollIntoView({ block: "nearest" });
          })
          .catch((err: unknown) => replace(flash, note("error", errText(err))));
      });
      return b;
    };
    const policy = h("textarea", { rows: 6, class: "code", spellcheck: "false", "aria-label": `Policy of ${u.name}` });
    policy.value = JSON.stringify(u.policy, null, 2);
    const policyStatus = h("div", { "aria-live": "polite" });
    const savePolicy = h("form", {}, policy, h("div", { class: "row" }, h("button", { type: "submit", class: "small-button" }, "Save policy"), policyStatus));
    savePolicy.addEventListener("submit", (ev) => {
      ev.preventDefault();
      let body: unknown;
      try {
        body = JSON.parse(policy.value || "{}");
      } catch (err) {
        return replace(policyStatus, note("error", `Not valid JSON: ${String(err)}`));
      }
      api(`/admin/users/${encodeURIComponent(u.id)}/policy`, { method: "PUT", body })
        .then(() => replace(policyStatus, note("info", "Saved.")))
        .catch((err: unknown) => replace(policyStatus, note("error", errText(err))));
    });
    return h(
      "section",
      { class: "card", "data-testid": "admin-user" },
      h("h2", {}, u.name, " ", h("span", { class: "muted small" }, u.id)),
      use
        ? h(
            "div",
            { class: "facts" },
            ...[
              ["Requests", fmtInt(use.requests.total)],
              ["At home", use.requests.total ? fmtPct(use.local_share) : "–"],
              ["Cloud spend", fmtUsd(use.cloud_usd)],
              ["Avoided", fmtUsd(use.avoided_usd)],
              ["Sidecars", String(use.sidecars)],
            ].map(([l, v]) => h("div", { class: "fact" }, h("div", { class: "fact-label" }, l ?? ""), h("div", { class: "fact-value" }, v ?? ""))),
          )
        : null,
      h("ul", { class: "creds" }, ...u.credentials.map((c) => credentialRow(u, c))),
      h("div", { class: "row" }, issue("api"), issue("sidecar")),
      h("details", {}, h("summary", {}, "Policy"), savePolicy),
    );
  }

  async function load(): Promise<void> {
    try {
      const [users, usage] = await Promise.all([api<{ data: User[] }>("/admin/users", { signal: abort.signal }), optional<{ data: Usage[] }>("/admin/usage")]);
      const byUser = new Map((usage?.data ?? []).map((x) => [x.user_id, x]));
      replace(list, ...(users.data.length ? users.data.map((u) => userCard(u, byUser.get(u.id))) : [note("info", "No users yet. Create one above: its API key and sidecar token are shown once.")]));
    } catch (err) {
      if (!abort.signal.aborted) replace(list, note("error", `Could not load users: ${errText(err)}`));
    }
  }
  void load();
  return () => abort.abort();
};

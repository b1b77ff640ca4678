/** Sign-in: the API key (or the operator's admin token) is sent once; the browser keeps only the session cookie. */
import { ApiError, signIn, type Session } from "../api.js";
import { h, note, replace } from "../dom.js";

export function signinView(root: HTMLElement, done: (s: Session) => void, message?: string): void {
  const input = h("input", { id: "key", name: "key", type: "password", autocomplete: "current-password", required: true, spellcheck: "false", placeholder: "hk_…", "aria-describedby": "key-help" });
  const status = h("div", { class: "signin-status", "aria-live": "polite" }, message ? note("info", message) : null);
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "signin card", method: "post", action: "/auth/login" },
    h("h1", {}, "Hearth"),
    h("p", { class: "muted" }, "Your models first, the cloud when home can't answer."),
    h("label", { for: "key" }, "API key or admin token"),
    input,
    h("p", { id: "key-help", class: "muted small" }, "Sent once to start a session: the browser keeps only a cookie, never the key. The operator signs in with HEARTH_ADMIN_TOKEN for the admin views."),
    button,
    status,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    button.disabled = true;
    replace(status);
    signIn(input.value.trim())
      .then((s) => {
        input.value = "";
        done(s);
      })
      .catch((err: unknown) => {
        const text = err instanceof ApiError ? err.message : "Could not reach Hearth.";
        replace(status, note("error", text));
        input.setAttribute("aria-invalid", "true");
        input.focus();
      })
      .finally(() => (button.disabled = false));
  });
  replace(root, h("main", { class: "signin-page" }, form));
  input.focus();
}

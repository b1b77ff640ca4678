/**
 * The dashboard: signs in, then shows the views a session may see — a user's Overview, Home, Live and
 * Routing, or the operator's Admin — chosen by the URL's hash (#/home), so the back button works and a
 * view can be linked to.
 */
import "./style.css";
import { currentSession, signOut, useSession, type Session } from "./api.js";
import { h, replace } from "./dom.js";
import { adminView } from "./views/admin.js";
import { homeView } from "./views/home.js";
import { liveView } from "./views/live.js";
import { overviewView } from "./views/overview.js";
import { routingView } from "./views/routing.js";
import { signinView } from "./views/signin.js";
import type { View } from "./views/types.js";

const USER_VIEWS: [string, string, View][] = [
  ["overview", "Overview", overviewView],
  ["home", "Home", homeView],
  ["live", "Live", liveView],
  ["routing", "Routing", routingView],
];
const ADMIN_VIEWS: [string, string, View][] = [["admin", "Admin", adminView]];

const app = document.getElementById("app") as HTMLElement;
let stopView: () => void = () => undefined;

function showSignIn(message?: string): void {
  stopView();
  stopView = () => undefined;
  useSession(null);
  window.removeEventListener("hashchange", route);
  signinView(app, start, message);
}

function views(s: Session) {
  return s.kind === "admin" ? ADMIN_VIEWS : USER_VIEWS;
}

let session: Session | null = null;

function route(): void {
  if (!session) return;
  const list = views(session);
  const wanted = location.hash.replace(/^#\/?/, "");
  const entry = list.find(([id]) => id === wanted) ?? list[0];
  if (!entry) return;
  const [id, , view] = entry;
  if (wanted !== id) history.replaceState(null, "", `#/${id}`);
  for (const a of app.querySelectorAll("nav a")) a.toggleAttribute("aria-current", a.getAttribute("href") === `#/${id}`);
  const main = app.querySelector("main") as HTMLElement;
  stopView();
  replace(main);
  document.title = `${entry[1]} · Hearth`;
  stopView = view(main, session);
  main.focus({ preventScroll: true });
}

function shell(s: Session): void {
  const who = s.kind === "admin" ? "operator" : (s.user?.name ?? "");
  const out = h("button", { type: "button", class: "link" }, "Sign out");
  out.addEventListener("click", () => {
    void signOut()
      .catch(() => undefined)
      .then(() => showSignIn("Signed out."));
  });
  replace(
    app,
    h("a", { href: "#main", class: "skip" }, "Skip to content"),
    h(
      "header",
      { class: "top" },
      h("span", { class: "brand" }, "Hearth"),
      h("nav", { "aria-label": "Views" }, ...views(s).map(([id, label]) => h("a", { href: `#/${id}` }, label))),
      h("span", { class: "who", title: s.kind === "user" ? (s.user?.id ?? "") : "" }, who),
      out,
    ),
    h("main", { id: "main", tabindex: "-1" }),
  );
}

function start(s: Session): void {
  session = s;
  useSession(s, (why) => showSignIn(why));
  shell(s);
  window.addEventListener("hashchange", route);
  route();
}

currentSession()
  .then((s) => (s ? start(s) : showSignIn()))
  .catch(() => showSignIn("Could not reach Hearth."));

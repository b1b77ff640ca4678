/**
 * Home: each connected sidecar with its models (loaded or not, context, tags, what they can do, how
 * their answers fared in Hearth's checks), slots, queue, memory, uptime and breaker; when none is
 * connected, the exact command that connects one to this deployment. Reloaded when the live socket
 * says a sidecar changed, and every 15 s.
 */
import { openLive } from "../live-socket.js";
import { api } from "../api.js";
import { fmtBytes, fmtDuration, fmtPct, h, note, replace } from "../dom.js";
import { healthCard } from "./health.js";
import { widthBar } from "./overview.js";
import type { View } from "./types.js";

interface HomeModel {
  id: string;
  backend: string;
  loaded: boolean;
  loading: boolean;
  context_length: number;
  size_bytes: number | null;
  tags: string[];
  tools: boolean;
  chat: boolean;
  embeddings: boolean;
  tokens_per_second: number;
}

interface HomeSidecar {
  id: string;
  name: string | null;
  uptime_seconds: number;
  slots: { total: number; free: number };
  queue: { depth: number; max: number };
  inflight: number;
  free_memory_bytes: number | null;
  draining: boolean;
  breaker: string;
  models: HomeModel[];
}

interface Home {
  connected: boolean;
  sidecars: HomeSidecar[];
}

/** One kind of request's checks for a model, as /v1/stats's home_checks gives them. */
interface FamilyChecks {
  checked: number;
  passed: number;
  repaired: number;
  recent_pass_rate: number | null;
  failed: Record<string, number>;
}

/** By model id: how its answers fared in the checks (README "Checked answers"). */
type HomeChecks = Record<string, { tools: FamilyChecks | null; structured: FamilyChecks | null; unreliable_tools: boolean }>;

const badge = (text: string, kind: "ok" | "warn" | "bad" | "plain" = "plain") => h("span", { class: `badge badge-${kind}` }, text);

function modelState(m: HomeModel) {
  if (m.loading) return badge("loading", "warn");
  return m.loaded ? badge("loaded", "ok") : badge("not loaded");
}

/** "Tools 80% (4 of 5), 1 repaired · fails: tool_args_schema 1" for one kind of request. */
function familyLine(label: string, f: FamilyChecks | null): HTMLElement | null {
  if (!f || f.checked === 0) return null;
  const rate = f.passed / f.checked;
  const fails = Object.entries(f.failed).map(([check, n]) => `${check} ${n}`).join(", ");
  return h(
    "div",
    { "data-testid": `checks-${label.toLowerCase()}` },
    badge(`${label} ${fmtPct(rate)}`, rate >= 0.9 ? "ok" : rate >= 0.5 ? "warn" : "bad"),
    h("span", { class: "muted small" }, ` ${f.passed} of ${f.checked} passed${f.repaired ? `, ${f.repaired} repaired` : ""}${fails ? ` · failed: ${fails}` : ""}`),
  );
}

function checksCell(c: HomeChecks[string] | undefined): (HTMLElement | string)[] {
  const lines = [familyLine("Tools", c?.tools ?? null), familyLine("JSON", c?.structured ?? null)].filter((x): x is HTMLElement => x !== null);
  if (c?.unreliable_tools) lines.push(h("div", {}, badge("skipped for tools for now", "bad")));
  return lines.length ? lines : ["–"];
}

function modelsTable(models: HomeModel[], checks: HomeChecks): HTMLElement {
  if (models.length === 0) return note("warn", "This sidecar serves no models. Start it with --models <GGUF files or a directory> or --ollama <url>.");
  return h(
    "div",
    { class: "table-wrap", tabindex: 0, role: "region", "aria-label": "Models" },
    h(
      "table",
      { class: "stack" },
      h("thead", {}, h("tr", {}, ...["Model", "State", "Context", "Size", "Can", "Tags", "Speed", "Checked answers"].map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        ...models.map((m) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, h("code", {}, m.id), h("div", { class: "muted small" }, m.backend)),
            h("td", { "data-label": "State" }, modelState(m)),
            h("td", { "data-label": "Context" }, `${m.context_length.toLocaleString("en-US")} tokens`),
            h("td", { "data-label": "Size" }, fmtBytes(m.size_bytes)),
            h("td", { "data-label": "Can" }, ...[m.chat ? "chat" : null, m.tools ? "tools" : null, m.embeddings ? "embeddings" : null].filter(Boolean).map((c) => badge(c as string))),
            h("td", { "data-label": "Tags" }, m.tags.length ? m.tags.join(", ") : "–"),
            h("td", { "data-label": "Speed" }, m.tokens_per_second ? `${Math.round(m.tokens_per_second)} tok/s` : "–"),
            // The stats name a model as its sidecar does; /v1/home as a target (`local/<id>`).
            h("td", { "data-label": "Checked answers", "data-testid": "checks" }, ...checksCell(checks[m.id.replace(/^local\//, "")])),
          ),
        ),
      ),
    ),
  );
}

function slotMeter(s: HomeSidecar): HTMLElement {
  const busy = s.slots.total - s.slots.free;
  return h("div", { class: "fact" }, h("div", { class: "fact-label" }, "Slots busy"), h("div", { class: "fact-value" }, `${busy} of ${s.slots.total}`), h("div", { class: "track" }, widthBar(s.slots.total ? busy / s.slots.total : 0)));
}

function sidecarCard(s: HomeSidecar, checks: HomeChecks): HTMLElement {
  const breaker = s.breaker === "closed" ? badge("healthy", "ok") : s.breaker === "open" ? badge("breaker open: skipped for now", "bad") : badge("breaker half-open: probing", "warn");
  const fact = (label: string, value: string) => h("div", { class: "fact" }, h("div", { class: "fact-label" }, label), h("div", { class: "fact-value" }, value));
  return h(
    "section",
    { class: "card sidecar", "data-testid": "sidecar" },
    h("h2", {}, s.name ?? s.id, " ", badge("connected", "ok"), " ", breaker, s.draining ? badge("draining", "warn") : null),
    h("div", { class: "muted small" }, s.id),
    h(
      "div",
      { class: "facts" },
      fact("Up for", fmtDuration(s.uptime_seconds)),
      slotMeter(s),
      fact("Queue", `${s.queue.depth} waiting (max ${s.queue.max})`),
      fact("In flight", String(s.inflight)),
      fact("Free memory", fmtBytes(s.free_memory_bytes)),
    ),
    modelsTable(s.models, checks),
  );
}

/** How this deployment's sidecar is installed: npm's registry once published, else this checkout's tarball (build.mjs). */
declare const __HEARTH_SIDECAR_INSTALL__: string;

export function connectHelp(): HTMLElement {
  const published = !__HEARTH_SIDECAR_INSTALL__.endsWith(".tgz");
  const command = `${__HEARTH_SIDECAR_INSTALL__} && hearth-sidecar init --url ${location.origin} --token hs_…`;
  const copy = h("button", { type: "button", class: "small-button" }, "Copy");
  copy.addEventListener("click", () => {
    void navigator.clipboard?.writeText(command).then(() => (copy.textContent = "Copied"));
  });
  return h(
    "section",
    { class: "card", "data-testid": "not-connected" },
    h("h2", {}, "No machine connected ", badge("not connected", "bad")),
    h("p", {}, "Requests go to the cloud (or fail, with local_only) until a sidecar connects. On the machine with your models (Node.js 20.19+), install the sidecar, configure it and connect once — then “hearth-sidecar service install” keeps it running:"),
    h("div", { class: "command" }, h("code", { "data-testid": "sidecar-command" }, command), copy),
    h(
      "p",
      { class: "muted small" },
      "hs_… is your sidecar token — not the API key. It was shown once when your user was created; the operator can issue a new one in Admin. ",
      published ? "" : "The .tgz is made by “pnpm --filter @hearth/sidecar package” in the checkout this deployment came from (sidecar/dist-pack/). ",
      "A running Ollama is found by itself; GGUF files in ~/models too, and init offers the llama.cpp add-on they need. The sidecar dials out: no port to open.",
    ),
  );
}

export const homeView: View = (root) => {
  const body = h("div", { class: "grid", "aria-live": "polite" });
  const abort = new AbortController();
  replace(root, h("div", { class: "view-head" }, h("h1", {}, "Home")), body, h("div", { class: "grid spaced" }, healthCard("/v1/health", abort.signal)));
  async function load(): Promise<void> {
    try {
      // The checks' pass rates are in the stats; a page without them still shows the machines.
      const [home, stats] = await Promise.all([api<Home>("/v1/home", { signal: abort.signal }), api<{ home_checks?: HomeChecks }>("/v1/stats", { signal: abort.signal }).catch(() => undefined)]);
      const checks = stats?.home_checks ?? {};
      replace(body, ...(home.sidecars.length ? home.sidecars.map((s) => sidecarCard(s, checks)) : [connectHelp()]));
    } catch (err) {
      if (!abort.signal.aborted) replace(body, note("error", `Could not load home: ${err instanceof Error ? err.message : String(err)}`));
    }
  }
  void load();
  // A sidecar connecting, reporting, draining or going is pushed over /v1/live: reload then (at most
  // every half second). Slots and queue change with every request, so a slow poll stays as well, and
  // covers a deployment without the live socket.
  let pending: ReturnType<typeof setTimeout> | undefined;
  const closeLive = openLive({
    message: (m) => {
      if (m.type !== "home" || pending) return;
      pending = setTimeout(() => {
        pending = undefined;
        void load();
      }, 500);
    },
  });
  const timer = setInterval(() => void load(), 15_000);
  return () => {
    abort.abort();
    clearInterval(timer);
    clearTimeout(pending);
    closeLive();
  };
};

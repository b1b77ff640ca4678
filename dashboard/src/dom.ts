/** A small element builder and the formatters every view uses. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined | null>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** A message box: `info` for empty states, `warn` for a missing feature, `error` for a failure. */
export const note = (kind: "info" | "warn" | "error", ...children: Child[]) =>
  h("div", { class: `note note-${kind}`, role: kind === "error" ? "alert" : "status" }, ...children);

export const card = (title: string, ...children: Child[]) => h("section", { class: "card" }, h("h2", {}, title), ...children);

export const tile = (label: string, value: string, sub?: string, attrs: Attrs = {}) =>
  h("div", { class: "tile", ...attrs }, h("div", { class: "tile-label" }, label), h("div", { class: "tile-value" }, value), sub ? h("div", { class: "tile-sub" }, sub) : null);

export function fmtUsd(n: number): string {
  if (n === 0) return "$0";
  if (Math.abs(n) < 0.01) return `$${n.toFixed(4)}`;
  return `$${n.toFixed(2)}`;
}

export const fmtPct = (x: number) => `${Math.round(x * 1000) / 10}%`;
export const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
export const fmtMs = (n: number | null | undefined) => (n === null || n === undefined ? "–" : n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n >= 10 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

export function fmtDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86_400)} d ${Math.floor((seconds % 86_400) / 3600)} h`;
}

export const fmtTime = (d: Date) => d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** Colours per target: home in greens, OpenAI in blues, Anthropic in oranges, anything else in purples. */
const FAMILIES: Record<string, string[]> = {
  local: ["#2b8a3e", "#69db7c", "#94d82d"],
  openai: ["#4263eb", "#15aabf", "#748ffc"],
  anthropic: ["#e8590c", "#f59f00", "#d6336c"],
  other: ["#ae3ec9", "#868e96", "#5f3dc4"],
};
export function colorsFor(targets: readonly string[]): Map<string, string> {
  const used: Record<string, number> = {};
  const out = new Map<string, string>();
  for (const t of targets) {
    const family = t.startsWith("local") ? "local" : t.startsWith("openai/") ? "openai" : t.startsWith("anthropic/") ? "anthropic" : "other";
    const i = used[family] ?? 0;
    used[family] = i + 1;
    const list = FAMILIES[family] ?? [];
    out.set(t, list[i % list.length] ?? "#868e96");
  }
  return out;
}

/** doctor's output: a table for people, JSON for scripts. Pure. */
import type { Check, Status } from "./checks.js";

const LABEL: Record<Status, string> = { ok: "ok", warn: "WARN", fail: "FAIL", skip: "skip" };

/** One line per check (status, id, detail), and a `fix:` line under each warning and failure. */
export function renderTable(checks: readonly Check[]): string {
  const idWidth = Math.max(...checks.map((c) => c.id.length), 5);
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${LABEL[c.status].padEnd(5)} ${c.id.padEnd(idWidth)}  ${c.detail}`);
    if (c.fix && (c.status === "warn" || c.status === "fail")) lines.push(`${" ".repeat(6 + idWidth)}  fix: ${c.fix}`);
  }
  const count = (s: Status) => checks.filter((c) => c.status === s).length;
  lines.push("", `${count("ok")} ok, ${count("warn")} warning${count("warn") === 1 ? "" : "s"}, ${count("fail")} failed, ${count("skip")} skipped`);
  return `${lines.join("\n")}\n`;
}

export function renderJson(checks: readonly Check[], meta: { sidecarVersion: string; configPath: string | undefined }): string {
  return `${JSON.stringify({ ok: !checks.some((c) => c.status === "fail"), sidecar: meta.sidecarVersion, config: meta.configPath ?? null, checks }, null, 2)}\n`;
}

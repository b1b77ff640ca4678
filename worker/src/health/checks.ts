/**
 * Health checks as pure functions: from what the hub, the env and D1 say, a list of checks, each
 * `{name, status: ok|warn|fail, reason}`, and an overall status (the worst of them). `warn` means
 * Hearth still answers but not as configured (a breaker open, a budget near, home away while the cloud
 * covers); `fail` means some requests cannot be answered at all.
 */
import { parseTarget, type CloudProviderId, type RoutingPolicy } from "@hearth/shared";
import type { HubHealth } from "../hub-client/types.js";

export type CheckStatus = "ok" | "warn" | "fail";

export interface Check {
  name: string;
  status: CheckStatus;
  reason: string;
}

const RANK: Record<CheckStatus, number> = { ok: 0, warn: 1, fail: 2 };

export const worst = (checks: readonly Check[]): CheckStatus => checks.reduce<CheckStatus>((w, c) => (RANK[c.status] > RANK[w] ? c.status : w), "ok");

/** A cloud target's window at or above this error rate is a warning, and a failure from FAIL_RATE, once it has MIN_SAMPLES. */
export const WARN_RATE = 0.2;
export const FAIL_RATE = 0.5;
export const MIN_SAMPLES = 5;

export const CLOUD_PROVIDERS: readonly CloudProviderId[] = ["openai", "anthropic"];

/** The cloud providers a policy's `auto` may call (the user's list, else the deployment's). */
export function providersUsed(policy: RoutingPolicy, deploymentAutoTargets: readonly string[]): Set<string> {
  return new Set((policy.autoTargets ?? deploymentAutoTargets).map((t) => parseTarget(t)?.provider).filter((p): p is CloudProviderId => p !== undefined && p !== "local"));
}

const pct = (r: number) => `${Math.round(r * 100)}%`;

function providerCheck(p: CloudProviderId, configured: boolean, used: boolean, windows: HubHealth["cloud"] | undefined): Check {
  const name = `provider:${p}`;
  if (!configured) return { name, status: used ? "warn" : "ok", reason: used ? `no API key: its targets in auto are skipped (not_configured)` : "no API key (not used)" };
  const mine = Object.entries(windows ?? {}).filter(([t]) => t.startsWith(`${p}/`));
  const samples = mine.reduce((n, [, w]) => n + w.samples, 0);
  if (samples === 0) return { name, status: "ok", reason: "API key present; no recent requests" };
  const failures = mine.reduce((n, [, w]) => n + w.samples * w.errorRate, 0);
  const rate = failures / samples;
  const status: CheckStatus = samples >= MIN_SAMPLES && rate >= FAIL_RATE ? "fail" : samples >= MIN_SAMPLES && rate >= WARN_RATE ? "warn" : "ok";
  return { name, status, reason: `API key present; ${pct(rate)} of the last ${samples} requests failed` };
}

export interface UserHealthInput {
  hub: HubHealth;
  policy: RoutingPolicy;
  configured: ReadonlySet<string>;
  deploymentAutoTargets: readonly string[];
  now: number;
}

export function userChecks(h: UserHealthInput): Check[] {
  const mode = h.policy.mode ?? "local_first";
  const used = providersUsed(h.policy, h.deploymentAutoTargets);
  const cloudUsable = mode !== "local_only" && h.policy.private !== true && [...used].some((p) => h.configured.has(p));
  const live = h.hub.sidecars.filter((s) => !s.draining);
  let sidecars: Check;
  if (mode === "cloud_only") sidecars = { name: "sidecars", status: "ok", reason: `${h.hub.sidecars.length} connected; not used (policy cloud_only)` };
  else if (live.length > 0) sidecars = { name: "sidecars", status: "ok", reason: `${live.length} connected: ${live.map((s) => `${s.name ?? s.sidecarId} (${s.models.length} model${s.models.length === 1 ? "" : "s"})`).join(", ")}` };
  else {
    const why = h.hub.sidecars.length > 0 ? "every connected sidecar is draining" : "no sidecar connected";
    sidecars = { name: "sidecars", status: cloudUsable ? "warn" : "fail", reason: cloudUsable ? `${why}: the cloud answers` : `${why}, and no cloud target may answer` };
  }
  const openHome = h.hub.sidecars.filter((s) => s.breaker === "open").map((s) => `local (${s.name ?? s.sidecarId})`);
  const openCloud = Object.entries(h.hub.breakers).filter(([, b]) => b === "open").map(([t]) => t);
  const open = [...openHome, ...openCloud];
  const breakers: Check = open.length === 0 ? { name: "breakers", status: "ok", reason: "none open" } : { name: "breakers", status: "warn", reason: `open: ${open.join(", ")} (tried last or skipped until the cool-down ends)` };
  const b = h.hub.budget;
  const budget: Check =
    b.state === "none"
      ? { name: "budget", status: "ok", reason: "no cloud budget set" }
      : b.state === "ok"
        ? { name: "budget", status: "ok", reason: `spent ${b.day.spent_usd} USD today, ${b.month.spent_usd} USD this month` }
        : b.state === "near"
          ? { name: "budget", status: "warn", reason: `near the limit: ${b.day.spent_usd}/${b.day.limit_usd ?? "∞"} USD today, ${b.month.spent_usd}/${b.month.limit_usd ?? "∞"} USD this month` }
          : { name: "budget", status: b.on_exceeded === "home_only" && live.length > 0 ? "warn" : "fail", reason: `reached: cloud calls are ${b.on_exceeded === "home_only" ? "off, home answers what it can" : "refused"} until ${b.day.remaining_usd === 0 ? b.day.resets_at : b.month.resets_at}` };
  const providers = CLOUD_PROVIDERS.map((p) => providerCheck(p, h.configured.has(p), used.has(p) && mode !== "local_only", h.hub.cloud));
  return [sidecars, breakers, budget, ...providers];
}

export interface AdminHealthInput {
  d1: { ok: true; ms: number } | { ok: false; ms: number; error: string };
  users: number | undefined;
  configured: ReadonlySet<string>;
  autoTargets: readonly string[];
  /** Vars that were set but could not be read (ignored). */
  invalidVars: readonly string[];
  budget: { dailyUsd: number | undefined; monthlyUsd: number | undefined };
}

/** A D1 round trip slower than this is a warning. */
export const D1_SLOW_MS = 1_000;

export function adminChecks(h: AdminHealthInput): Check[] {
  const d1: Check = !h.d1.ok
    ? { name: "d1", status: "fail", reason: `SELECT 1 failed after ${h.d1.ms} ms: ${h.d1.error}` }
    : { name: "d1", status: h.d1.ms > D1_SLOW_MS ? "warn" : "ok", reason: `SELECT 1 in ${h.d1.ms} ms` };
  const used = providersUsed({}, h.autoTargets);
  const providers = CLOUD_PROVIDERS.map((p): Check => {
    const has = h.configured.has(p);
    return { name: `provider:${p}`, status: !has && used.has(p) ? "warn" : "ok", reason: has ? "API key present" : used.has(p) ? "no API key, but HEARTH_AUTO_TARGETS lists it" : "no API key (not used)" };
  });
  const badTargets = h.autoTargets.filter((t) => {
    const p = parseTarget(t);
    return !p || p.provider === "local";
  });
  const problems = [...h.invalidVars.map((v) => `${v} is unreadable (ignored)`), ...badTargets.map((t) => `HEARTH_AUTO_TARGETS has '${t}', not provider/model`)];
  if (h.autoTargets.length === 0) problems.push("HEARTH_AUTO_TARGETS is empty: auto uses home and the users' own autoTargets only");
  const budgets = [h.budget.dailyUsd !== undefined ? `daily ${h.budget.dailyUsd} USD` : "", h.budget.monthlyUsd !== undefined ? `monthly ${h.budget.monthlyUsd} USD` : ""].filter(Boolean).join(", ");
  const vars: Check = { name: "vars", status: problems.length > 0 ? "warn" : "ok", reason: problems.length > 0 ? problems.join("; ") : `sane${budgets ? `; deployment budget ${budgets}` : ""}` };
  const users: Check = h.users === undefined ? { name: "users", status: "fail", reason: "could not count users" } : { name: "users", status: "ok", reason: `${h.users} users` };
  return [d1, ...providers, vars, users];
}

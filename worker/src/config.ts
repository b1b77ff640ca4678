/**
 * The Worker's settings, read from its env (vars in wrangler.toml, secrets, `.dev.vars` locally).
 * Parsed once per env object: Workers hand every request the same env, so this costs nothing per request.
 */
import {
  DEFAULT_BREAKER,
  DEFAULT_PERF,
  DEFAULT_PRICES,
  DEFAULT_RETRY,
  priceTableSchema,
  type BreakerOptions,
  type PerfOptions,
  type PriceTable,
  type RetryOptions,
} from "@hearth/shared";
import { isLogLevel, type LogLevel, type RoutingPolicy } from "@hearth/shared";

/** Origins whose pages may call /v1 from a browser: `*` (any, without credentials) or exact origins; `[]` is none. */
export type CorsOrigins = "*" | readonly string[];

export interface HearthConfig {
  /** Ordered cloud targets for `model: "auto"`. Default: none (then only a user's policy supplies them). */
  autoTargets: string[];
  /** Largest accepted request body in bytes. Default: 4 MiB. */
  maxBodyBytes: number;
  /** How long a cloud target may take to its first content (ms), streaming or not; after it the answer is committed. Default: 30,000. */
  firstChunkTimeoutMs: number;
  /** A cloud answer fetched whole (a client that does not stream) must be complete within this; undefined: its first-token deadline plus its room at 10 tokens/s. */
  wholeAnswerTimeoutMs: number | undefined;
  /** Once an answer began, the longest silence between two pieces of it (ms). Default: 30,000. */
  idleTimeoutMs: number;
  /** Ceiling over a whole request: every attempt and the whole answer (ms). Default: 600,000. */
  totalTimeoutMs: number;
  /** How long home may take to the first token before the cloud is tried (ms). Default: 10,000. */
  localFirstTokenMs: number;
  retry: RetryOptions;
  /** When home is skipped after failing, and for how long. Default: 3 failures, 30 s. */
  breaker: BreakerOptions;
  /** Samples kept per target, and needed before they steer routing. Default: 100 and 20. */
  perf: PerfOptions;
  /** Cloud prices (USD per million tokens) for the cost estimates in /v1/stats. Default: DEFAULT_PRICES, extended by HEARTH_PRICES. */
  prices: PriceTable;
  /** Default: warn. */
  logLevel: LogLevel;
  /** The admin API is disabled while this is empty. */
  adminToken: string | undefined;
  /** Origins allowed to call /v1 from a browser (HEARTH_CORS_ORIGINS). Default: none. */
  corsOrigins: CorsOrigins;
  /**
   * The deployment's cloud spend limits per user (HEARTH_BUDGET_DAILY_USD, HEARTH_BUDGET_MONTHLY_USD),
   * USD per UTC day and calendar month; a user's policy may only set stricter ones. Default: none.
   */
  budget: { dailyUsd: number | undefined; monthlyUsd: number | undefined };
  /** Settings that were set but could not be read (and so were ignored), by variable name. */
  invalid: string[];
}

/** A non-negative amount of USD, or undefined when empty; NaN when set but not a number. */
function usd(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : Number.NaN;
}

function int(value: string | undefined, fallback: number): number {
  const n = value === undefined || value === "" ? NaN : Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** HEARTH_PRICES extends (and overrides) the built-in table; a malformed value is ignored as a whole rather than half-applied. */
function prices(value: string | undefined): PriceTable {
  if (!value) return DEFAULT_PRICES;
  try {
    const parsed = priceTableSchema.safeParse(JSON.parse(value));
    return parsed.success ? { ...DEFAULT_PRICES, ...parsed.data } : DEFAULT_PRICES;
  } catch {
    return DEFAULT_PRICES;
  }
}

/**
 * HEARTH_CORS_ORIGINS: empty is none, `*` anywhere in it is any origin, else each entry is read as a URL
 * and kept as its origin (so a trailing slash or upper-case host still matches what browsers send);
 * entries that are no origin (`null`, `example.com` without a scheme) are dropped.
 */
function corsOrigins(value: string | undefined): CorsOrigins {
  const entries = list(value);
  if (entries.includes("*")) return "*";
  const origins: string[] = [];
  for (const entry of entries) {
    const origin = URL.canParse(entry) ? new URL(entry).origin : "null";
    if (origin !== "null" && !origins.includes(origin)) origins.push(origin);
  }
  return origins;
}

/** Variables that are set but unreadable: each is ignored (its default applies), and /admin/health says so. */
function invalidVars(vars: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  const set = (k: string) => vars[k] !== undefined && vars[k] !== "";
  for (const k of ["HEARTH_BUDGET_DAILY_USD", "HEARTH_BUDGET_MONTHLY_USD"]) if (Number.isNaN(usd(vars[k]))) out.push(k);
  for (const k of ["HEARTH_MAX_BODY_BYTES", "HEARTH_FIRST_CHUNK_TIMEOUT_MS", "HEARTH_WHOLE_ANSWER_TIMEOUT_MS", "HEARTH_IDLE_TIMEOUT_MS", "HEARTH_TOTAL_TIMEOUT_MS", "HEARTH_LOCAL_FIRST_TOKEN_MS"]) {
    if (set(k) && int(vars[k], -1) === -1) out.push(k);
  }
  if (set("HEARTH_PRICES") && prices(vars.HEARTH_PRICES) === DEFAULT_PRICES) out.push("HEARTH_PRICES");
  if (set("HEARTH_LOG_LEVEL") && !isLogLevel(vars.HEARTH_LOG_LEVEL)) out.push("HEARTH_LOG_LEVEL");
  return out;
}

export function readConfig(env: Env): HearthConfig {
  const vars = env as unknown as Record<string, string | undefined>;
  const level = vars.HEARTH_LOG_LEVEL;
  const daily = usd(vars.HEARTH_BUDGET_DAILY_USD);
  const monthly = usd(vars.HEARTH_BUDGET_MONTHLY_USD);
  return {
    // A malformed limit is ignored, not read as zero: /admin/health reports it.
    budget: { dailyUsd: Number.isNaN(daily) ? undefined : daily, monthlyUsd: Number.isNaN(monthly) ? undefined : monthly },
    invalid: invalidVars(vars),
    autoTargets: list(vars.HEARTH_AUTO_TARGETS),
    maxBodyBytes: int(vars.HEARTH_MAX_BODY_BYTES, 4 * 1024 * 1024),
    firstChunkTimeoutMs: int(vars.HEARTH_FIRST_CHUNK_TIMEOUT_MS, 30_000),
    wholeAnswerTimeoutMs: int(vars.HEARTH_WHOLE_ANSWER_TIMEOUT_MS, 0) || undefined,
    idleTimeoutMs: int(vars.HEARTH_IDLE_TIMEOUT_MS, 30_000),
    totalTimeoutMs: int(vars.HEARTH_TOTAL_TIMEOUT_MS, 600_000),
    localFirstTokenMs: int(vars.HEARTH_LOCAL_FIRST_TOKEN_MS, 10_000),
    retry: {
      ...DEFAULT_RETRY,
      baseDelayMs: int(vars.HEARTH_RETRY_BASE_MS, DEFAULT_RETRY.baseDelayMs),
      maxRetryAfterMs: int(vars.HEARTH_MAX_RETRY_AFTER_MS, DEFAULT_RETRY.maxRetryAfterMs),
    },
    breaker: {
      failureThreshold: int(vars.HEARTH_BREAKER_FAILURES, DEFAULT_BREAKER.failureThreshold),
      cooldownMs: int(vars.HEARTH_BREAKER_COOLDOWN_MS, DEFAULT_BREAKER.cooldownMs),
    },
    perf: {
      windowSize: int(vars.HEARTH_LEARN_WINDOW, DEFAULT_PERF.windowSize),
      minSamples: int(vars.HEARTH_LEARN_MIN_SAMPLES, DEFAULT_PERF.minSamples),
    },
    prices: prices(vars.HEARTH_PRICES),
    logLevel: isLogLevel(level) ? level : "warn",
    adminToken: vars.HEARTH_ADMIN_TOKEN || undefined,
    corsOrigins: corsOrigins(vars.HEARTH_CORS_ORIGINS),
  };
}

const cache = new WeakMap<object, HearthConfig>();

export function config(env: Env): HearthConfig {
  let cfg = cache.get(env);
  if (!cfg) {
    cfg = readConfig(env);
    cache.set(env, cfg);
  }
  return cfg;
}

export interface RequestDeadlines {
  /** Once the answer began, the longest silence between two pieces of it (ms). */
  idleMs: number;
  /** Ceiling over the whole request (ms). */
  totalMs: number;
}

/** The deadlines over a whole answer: the user's policy, else the deployment's. */
export function answerDeadlines(cfg: HearthConfig, policy: RoutingPolicy): RequestDeadlines {
  return { idleMs: policy.idleTimeoutMs ?? cfg.idleTimeoutMs, totalMs: policy.totalTimeoutMs ?? cfg.totalTimeoutMs };
}

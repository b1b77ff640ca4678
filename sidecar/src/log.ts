/**
 * The sidecar's levelled logger: quiet by default (warn), one line per event on stderr. Callers pass
 * ids, codes and timings; prompts and generated text only at `trace`, which a user must ask for.
 */
export type LogLevel = "error" | "warn" | "info" | "debug" | "trace";
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  /** Prompt and token content go here only. */
  trace(msg: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
}

export function createLogger(level: LogLevel = "warn", write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const emit = (at: LogLevel) => (msg: string, fields?: LogFields) => {
    if (RANK[at] > RANK[level]) return;
    const extra = fields
      ? Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => ` ${k}=${typeof v === "string" && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
          .join("")
      : "";
    write(`${new Date().toISOString()} ${at.padEnd(5)} ${msg}${extra}\n`);
  };
  return {
    error: emit("error"),
    warn: emit("warn"),
    info: emit("info"),
    debug: emit("debug"),
    trace: emit("trace"),
    enabled: (at) => RANK[at] <= RANK[level],
  };
}

/** A logger that drops everything, for tests and benchmarks. */
export const silentLogger: Logger = createLogger("error", () => {});

/**
 * A levelled logger, quiet by default. It takes a message and a flat record of safe fields: callers
 * pass ids, codes and timings — never keys, tokens or prompt text.
 */
export type LogLevel = "error" | "warn" | "info" | "debug";

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
}

export function createLogger(level: LogLevel, base: LogFields = {}): Logger {
  const emit = (at: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[at] > RANK[level]) return;
    // One JSON line per event: Workers Logs and `wrangler tail` index it as structured data.
    // eslint-disable-next-line no-console -- this is the logger
    console.log(JSON.stringify({ level: at, msg, ...base, ...fields }));
  };
  return {
    error: (m, f) => emit("error", m, f),
    warn: (m, f) => emit("warn", m, f),
    info: (m, f) => emit("info", m, f),
    debug: (m, f) => emit("debug", m, f),
  };
}

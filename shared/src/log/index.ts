/**
 * The one levelled logger both halves use; each runtime supplies a sink (the Worker writes JSON lines
 * for Workers Logs, the sidecar plain lines on stderr). Quiet by default. Callers pass ids, codes and
 * timings as fields — never keys, tokens or prompt text; content belongs at `trace`, which a user
 * must ask for.
 */
export const LOG_LEVELS = ["error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Readonly<Record<LogLevel, number>> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

export type LogFields = Record<string, string | number | boolean | undefined>;

/** Writes one event; called only for events at or above the logger's level. */
export type LogSink = (level: LogLevel, msg: string, fields: LogFields) => void;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  /** Prompt and token content go here only. */
  trace(msg: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value);
}

/** `base` fields (e.g. the request id) are added to every event. */
export function createLogger(level: LogLevel, sink: LogSink, base: LogFields = {}): Logger {
  const enabled = (at: LogLevel) => RANK[at] <= RANK[level];
  const emit = (at: LogLevel) => (msg: string, fields?: LogFields) => {
    if (enabled(at)) sink(at, msg, fields ? { ...base, ...fields } : base);
  };
  return { error: emit("error"), warn: emit("warn"), info: emit("info"), debug: emit("debug"), trace: emit("trace"), enabled };
}

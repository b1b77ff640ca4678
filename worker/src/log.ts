/**
 * The Worker's sink for the shared logger: one JSON line per event, which Workers Logs and
 * `wrangler tail` index as structured data.
 */
import { createLogger as sharedLogger, type LogFields, type LogLevel, type Logger } from "@hearth/shared";

export type { LogFields, LogLevel, Logger };

export function createLogger(level: LogLevel, base: LogFields = {}): Logger {
  // eslint-disable-next-line no-console -- this is the logger's sink
  return sharedLogger(level, (at, msg, fields) => console.log(JSON.stringify({ level: at, msg, ...fields })), base);
}

/**
 * The sidecar's sink for the shared logger: quiet by default (warn), one plain line per event on
 * stderr — `2026-01-01T00:00:00.000Z info  request served id=… ms=812`. Prompts and generated text
 * only at `trace`, which a user must ask for.
 */
import { createLogger as sharedLogger, type LogFields, type LogLevel, type Logger } from "@hearth/shared";

export type { LogFields, LogLevel, Logger };

function line(at: LogLevel, msg: string, fields: LogFields): string {
  let extra = "";
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined) extra += ` ${k}=${typeof v === "string" && /\s/.test(v) ? JSON.stringify(v) : String(v)}`;
  }
  return `${new Date().toISOString()} ${at.padEnd(5)} ${msg}${extra}\n`;
}

export function createLogger(level: LogLevel = "warn", write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  return sharedLogger(level, (at, msg, fields) => write(line(at, msg, fields)));
}

/** A logger that drops everything, for tests and benchmarks. */
export const silentLogger: Logger = createLogger("error", () => {});

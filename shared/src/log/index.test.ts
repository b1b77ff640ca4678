import { describe, expect, it } from "vitest";
import { createLogger, isLogLevel, type LogFields, type LogLevel } from "./index.js";

function recorder(level: LogLevel, base?: LogFields) {
  const events: [LogLevel, string, LogFields][] = [];
  return { events, log: createLogger(level, (at, msg, fields) => events.push([at, msg, fields]), base) };
}

describe("logger", () => {
  it("writes events at or above its level only", () => {
    const { events, log } = recorder("warn");
    log.error("e");
    log.warn("w");
    log.info("i");
    log.debug("d");
    log.trace("t");
    expect(events.map(([at]) => at)).toEqual(["error", "warn"]);
    expect(log.enabled("warn")).toBe(true);
    expect(log.enabled("info")).toBe(false);
  });

  it("adds the base fields to every event, the event's own winning", () => {
    const { events, log } = recorder("debug", { requestId: "r1", component: "hub" });
    log.info("x", { component: "relay", ms: 3 });
    log.debug("y");
    expect(events).toEqual([
      ["info", "x", { requestId: "r1", component: "relay", ms: 3 }],
      ["debug", "y", { requestId: "r1", component: "hub" }],
    ]);
  });

  it("knows its levels", () => {
    expect(isLogLevel("trace")).toBe(true);
    expect(isLogLevel("verbose")).toBe(false);
    expect(isLogLevel(3)).toBe(false);
  });
});

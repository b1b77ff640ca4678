import { describe, expect, it } from "vitest";
import { decideStop, REPEAT_WINDOW_MS } from "./signals.js";

describe("decideStop", () => {
  it("drains on the first signal", () => {
    expect(decideStop(undefined, 0)).toBe("drain");
    expect(decideStop(undefined, 123_456.7)).toBe("drain");
  });

  it("treats a signal within the window as the same request (a service manager's group kill, the tsx relay 40 ms later)", () => {
    expect(decideStop(1_000, 1_000)).toBe("repeat");
    expect(decideStop(1_000, 1_040)).toBe("repeat");
    expect(decideStop(1_000, 1_000 + REPEAT_WINDOW_MS - 1)).toBe("repeat");
  });

  it("exits at once on a signal after the window (Ctrl-C pressed again on purpose)", () => {
    expect(decideStop(1_000, 1_000 + REPEAT_WINDOW_MS)).toBe("exit-now");
    expect(decideStop(1_000, 60_000)).toBe("exit-now");
  });

  it("measures the window from the first signal, so repeated signals cannot postpone exit-now forever", () => {
    const first = 0;
    const decisions = [500, 1_000, 1_500, 2_000, 2_500].map((t) => decideStop(first, t));
    expect(decisions).toEqual(["repeat", "repeat", "repeat", "exit-now", "exit-now"]);
  });

  it("takes another window length", () => {
    expect(decideStop(0, 150, 100)).toBe("exit-now");
    expect(decideStop(0, 50, 100)).toBe("repeat");
  });
});

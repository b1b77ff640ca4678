import { describe, expect, it } from "vitest";
import { contextSizeFor, defaultThreads, resolveOptions } from "./options.js";

describe("defaultThreads", () => {
  it("leaves one core to the event loop: 1 thread on a 2-core machine", () => {
    expect(defaultThreads({ logical: 2, math: 2 })).toBe(1);
  });
  it("never exceeds llama.cpp's math cores (hyperthreads do not help matmuls)", () => {
    expect(defaultThreads({ logical: 16, math: 8 })).toBe(8);
    expect(defaultThreads({ logical: 8, math: 8 })).toBe(7);
  });
  it("is at least 1", () => expect(defaultThreads({ logical: 1, math: 1 })).toBe(1));
});

describe("contextSizeFor", () => {
  it("defaults to min(training context, 4096)", () => {
    expect(contextSizeFor(256, undefined)).toBe(256);
    expect(contextSizeFor(131072, undefined)).toBe(4096);
    expect(contextSizeFor(undefined, undefined)).toBe(4096);
  });
  it("caps an explicit size at the training context", () => {
    expect(contextSizeFor(8192, 16384)).toBe(8192);
    expect(contextSizeFor(8192, 2048)).toBe(2048);
  });
});

describe("resolveOptions", () => {
  it("fills in defaults", () => {
    const r = resolveOptions({ paths: ["/m"] }, 2);
    expect(r).toMatchObject({ paths: ["/m"], parallel: 2, gpu: "auto", contextSize: undefined });
    expect(r.threads).toBeGreaterThanOrEqual(1);
    expect(r.memoryBudgetBytes).toBeGreaterThan(0);
  });
  it("keeps what the caller set", () => {
    expect(resolveOptions({ paths: [], threads: 3, parallel: 4, gpu: false, memoryBudgetBytes: 10 }, 2)).toMatchObject({
      threads: 3,
      parallel: 4,
      gpu: false,
      memoryBudgetBytes: 10,
    });
  });
  it.each(["threads", "parallel", "contextSize", "memoryBudgetBytes"] as const)("rejects a non-positive %s", (key) => {
    expect(() => resolveOptions({ paths: [], [key]: 0 }, 2)).toThrow(RangeError);
    expect(() => resolveOptions({ paths: [], [key]: 1.5 }, 2)).toThrow(RangeError);
  });
});

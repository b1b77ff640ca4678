/**
 * The Worker's layering (.dependency-cruiser.cjs): no import cycle, no import of a layer above, the
 * user's hub reached only through its client, the Durable Object over the vocabulary only — checked
 * with dependency-cruiser over worker/src, type-only imports included. `pnpm layers` prints the same.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { cruise, type ICruiseResult } from "dependency-cruiser";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const require = createRequire(import.meta.url);

describe("worker/src layering", () => {
  it("has no cycle and no upward import (types included); the hub only through hub-client/", async () => {
    const config = require(join(ROOT, ".dependency-cruiser.cjs")) as { forbidden: unknown[]; options: object };
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      const result = await cruise(["worker/src"], { ...config.options, ruleSet: { forbidden: config.forbidden } } as never);
      const output = result.output as ICruiseResult;
      const violations = output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (${v.cycle.map((c) => c.name).join(" → ")})` : ""}`);
      expect(violations).toEqual([]);
      // The check looked at the whole Worker, through its imports.
      expect(output.summary.totalCruised).toBeGreaterThan(150);
      expect(output.summary.totalDependenciesCruised).toBeGreaterThan(500);
    } finally {
      process.chdir(cwd);
    }
  }, 60_000);
});

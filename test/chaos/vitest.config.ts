/**
 * The chaos suite's own unit tests (the classifier, the report), pure and fast:
 *   pnpm vitest run --config test/chaos/vitest.config.ts
 * (The root config's `unit` project does not include test/chaos/ yet.)
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { name: "chaos-unit", environment: "node", root: import.meta.dirname, include: ["*.test.ts"] },
});

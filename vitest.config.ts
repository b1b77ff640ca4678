import { defineConfig } from "vitest/config";

// Three projects: pure unit tests in Node, Worker tests inside workerd, end-to-end tests that
// start `wrangler dev`, the fakes and (later) the sidecar as real processes.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: ["shared/src/**/*.test.ts", "worker/src/**/*.test.ts", "sidecar/src/**/*.test.ts", "test/unit/**/*.test.ts", "test/chaos/**/*.test.ts"],
        },
      },
      "worker/vitest.config.ts",
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // One wrangler dev per file; files in sequence keep the 2-core machine from thrashing.
          fileParallelism: false,
        },
      },
    ],
  },
});

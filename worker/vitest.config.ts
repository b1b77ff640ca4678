import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { defineProject } from "vitest/config";

// Worker tests run inside workerd with real D1 (migrations applied in test/setup.ts).
export default defineProject(async () => {
  // wrangler.toml's [assets] directory must exist for the pool to start. `pnpm install` builds it
  // (postinstall) and wrangler before dev and deploy; here it is built if it went missing since.
  const root = join(import.meta.dirname, "..");
  if (!existsSync(join(root, "dashboard/dist"))) execFileSync(process.execPath, [join(root, "dashboard/build.mjs")], { stdio: "inherit" });
  const migrations = await readD1Migrations(join(import.meta.dirname, "../migrations"));
  return {
    plugins: [
      cloudflareTest({
        main: "./src/index.ts",
        wrangler: { configPath: "../wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            HEARTH_ADMIN_TOKEN: "test-admin-token",
            HEARTH_MAX_BODY_BYTES: "2048",
            // No cloud keys here, whatever a developer's .dev.vars holds: these tests stop before any upstream.
            OPENAI_API_KEY: "",
            ANTHROPIC_API_KEY: "",
          },
          // Sign-ins are not what these tests limit: session tests sign in many times a minute.
          ratelimits: { RATE_LIMITER: { simple: { limit: 5, period: 60 } }, LOGIN_LIMITER: { simple: { limit: 1000, period: 60 } } },
        },
      }),
    ],
    test: {
      name: "worker",
      include: ["test/**/*.test.ts"],
      setupFiles: ["./test/setup.ts"],
    },
  };
});

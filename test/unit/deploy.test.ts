import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  configuredDatabase,
  databaseDecision,
  deployedUrl,
  PLACEHOLDER_ID,
  relocatedConfig,
  secretsDecision,
  sidecarInstall,
  sidecarLine,
  unappliedMigrations,
  userDecision,
  withDatabaseId,
} from "../../scripts/deploy/decide.js";
import { ROOT } from "../support/wrangler.js";

const TOML = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
const ID = "3f2c5d7e-1111-4222-8333-944455556666";

describe("the D1 database step", () => {
  it("creates the database when the account has none of that name", () => {
    expect(databaseDecision({ name: "hearth", id: PLACEHOLDER_ID }, [{ name: "other", id: "x" }])).toEqual({ do: "create" });
  });
  it("keeps the configured id the account has", () => {
    expect(databaseDecision({ name: "hearth", id: ID }, [{ name: "hearth", id: ID }])).toEqual({ do: "keep", id: ID });
  });
  it("adopts a database of that name when the configured id is the placeholder or not on the account", () => {
    expect(databaseDecision({ name: "hearth", id: PLACEHOLDER_ID }, [{ name: "hearth", id: ID }])).toEqual({ do: "adopt", id: ID });
    expect(databaseDecision({ name: "hearth", id: "gone" }, [{ name: "hearth", id: ID }])).toEqual({ do: "adopt", id: ID });
  });
  it("reads the DB binding's name and id from wrangler.toml", () => {
    expect(configuredDatabase(TOML)).toEqual({ name: "hearth", id: PLACEHOLDER_ID });
    expect(() => configuredDatabase("name = \"x\"\n")).toThrow(/no \[\[d1_databases\]\]/);
  });
  it("writes the id into that table only, leaving every other line (comments too) as it was", () => {
    const written = withDatabaseId(TOML, ID);
    expect(configuredDatabase(written)).toEqual({ name: "hearth", id: ID });
    const changed = TOML.split("\n").filter((l, i) => l !== written.split("\n")[i]);
    expect(changed).toEqual([`database_id = "${PLACEHOLDER_ID}"`]);
    expect(withDatabaseId(written, ID)).toBe(written);
  });
  it("relocates a copy of wrangler.toml for a rehearsal: paths absolute, no watcher", () => {
    const copy = relocatedConfig(TOML, "/src/hearth");
    expect(copy).toContain('main = "/src/hearth/worker/src/index.ts"');
    expect(copy).toContain('migrations_dir = "/src/hearth/migrations"');
    expect(copy).toContain('command = "node /src/hearth/dashboard/build.mjs"');
    expect(copy).toContain('directory = "/src/hearth/dashboard/dist"');
    expect(copy).not.toContain("watch_dir");
  });
});

describe("the migrations step", () => {
  it("applies what wrangler lists as not applied, nothing when it says so", () => {
    const listed = "Migrations to be applied:\n┌──────┐\n│ Name │\n├──────┤\n│ 0001_users_and_keys.sql │\n├──────┤\n│ 0002_sessions.sql │\n└──────┘\n";
    expect(unappliedMigrations(listed)).toEqual(["0001_users_and_keys.sql", "0002_sessions.sql"]);
    expect(unappliedMigrations("Use --remote if you want to access the remote instance.\n\n✅ No migrations to apply!\n")).toEqual([]);
  });
});

describe("the secrets step", () => {
  const by = (r: ReturnType<typeof secretsDecision>) => Object.fromEntries(r.map((s) => [s.name, s.do]));
  it("keeps what is set, takes what the environment has, asks on a terminal", () => {
    expect(by(secretsDecision(["HEARTH_ADMIN_TOKEN"], { OPENAI_API_KEY: "sk-1" }, true))).toEqual({ HEARTH_ADMIN_TOKEN: "keep", OPENAI_API_KEY: "from-env", ANTHROPIC_API_KEY: "ask" });
  });
  it("without a terminal: generates the admin token, leaves unknown cloud keys off", () => {
    expect(by(secretsDecision(undefined, {}, false))).toEqual({ HEARTH_ADMIN_TOKEN: "generate", OPENAI_API_KEY: "skip", ANTHROPIC_API_KEY: "skip" });
  });
  it("a Worker that does not exist yet has no secrets", () => {
    expect(by(secretsDecision(undefined, { HEARTH_ADMIN_TOKEN: "t" }, false)).HEARTH_ADMIN_TOKEN).toBe("from-env");
  });
});

describe("the first user step", () => {
  it("creates one only when there is none, and only with the admin token to ask", () => {
    expect(userDecision("t", 0)).toBe("create");
    expect(userDecision("t", 2)).toBe("exists");
    expect(userDecision(undefined, undefined)).toBe("no-token");
    expect(userDecision("t", undefined)).toBe("no-token");
  });
});

describe("the deployed URL and the sidecar line", () => {
  it("reads the deploy's targets from wrangler's output file, preferring workers.dev", () => {
    const file = [
      JSON.stringify({ type: "wrangler-session", version: 1 }),
      JSON.stringify({ type: "deploy", version: 1, worker_name: "hearth", targets: ["hearth.example.com/*", "https://hearth.ann.workers.dev"] }),
      "",
    ].join("\n");
    expect(deployedUrl(file, "")).toBe("https://hearth.ann.workers.dev");
  });
  it("falls back to the URL wrangler printed", () => {
    expect(deployedUrl("", "Uploaded hearth (3.1 sec)\nDeployed hearth triggers (0.8 sec)\n  https://hearth.ann.workers.dev\nCurrent Version ID: 1\n")).toBe("https://hearth.ann.workers.dev");
    expect(deployedUrl("", "nothing")).toBeUndefined();
  });
  it("installs the sidecar from the registry once published, else this checkout's tarball", () => {
    expect(sidecarInstall({ version: "0.1.0" })).toBe("npm install -g hearth-sidecar-0.1.0.tgz");
    expect(sidecarInstall({ version: "0.1.0", "x-published": true })).toBe("npm install -g hearth-sidecar");
    expect(sidecarLine("npm install -g hearth-sidecar", "https://h.workers.dev", "hs_x")).toBe("npm install -g hearth-sidecar && hearth-sidecar init --url https://h.workers.dev --token hs_x");
  });
});

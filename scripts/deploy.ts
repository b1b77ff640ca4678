/**
 * `pnpm run deploy`: Hearth from this checkout to Cloudflare in one command, each step only when not
 * done yet — the D1 database (created, its id written into wrangler.toml), the migrations, the secrets
 * (asked for on a terminal; the admin token generated if you like), the deploy, the first user — and
 * then the dashboard's URL, that user's API key (once) and the sidecar's install-and-init line.
 * Re-running it is safe: it deploys the checkout again and changes nothing else that is right.
 *
 *   pnpm run deploy                       wrangler must be logged in (pnpm exec wrangler login)
 *   pnpm run deploy --yes                 ask nothing: generate the admin token, cloud keys from the environment
 *   pnpm run deploy --local               rehearse every step on this machine (local D1, wrangler deploy
 *                                         --dry-run, wrangler dev); --keep-running leaves it serving
 *   --user <name>                         the first user's name (default: your login name)
 *   --config <wrangler.toml>  --state-dir <dir>   (defaults: the checkout's wrangler.toml, and .hearth/deploy;
 *                                         with --local, .hearth/deploy-local and a copy of wrangler.toml in it)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { cloudflareAccount, localRehearsal } from "./deploy/cloud.js";
import { relocatedConfig } from "./deploy/decide.js";
import { runDeploy, type Io } from "./deploy/run.js";

const ROOT = resolve(import.meta.dirname, "..");

const { values: flags } = parseArgs({
  options: {
    local: { type: "boolean", default: false },
    yes: { type: "boolean", default: false },
    "keep-running": { type: "boolean", default: false },
    user: { type: "string" },
    config: { type: "string" },
    "state-dir": { type: "string" },
  },
});

const stateDir = resolve(flags["state-dir"] ?? join(ROOT, ".hearth", flags.local ? "deploy-local" : "deploy"));

/** The config to deploy: the checkout's; for a rehearsal, a copy of it in the state directory (its database id is the rehearsal's own). */
function configPath(): string {
  if (flags.config) return resolve(flags.config);
  if (!flags.local) return join(ROOT, "wrangler.toml");
  const copy = join(stateDir, "wrangler.toml");
  if (!existsSync(copy)) {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(copy, relocatedConfig(readFileSync(join(ROOT, "wrangler.toml"), "utf8"), ROOT));
  }
  return copy;
}

const config = configPath();
const cloud = flags.local ? localRehearsal(config, stateDir) : cloudflareAccount(config);
const terminal = !flags.yes && process.stdin.isTTY && process.stdout.isTTY ? createInterface({ input: process.stdin, output: process.stdout }) : undefined;
const io: Io = { say: (text) => process.stdout.write(text), ...(terminal ? { ask: (q: string) => terminal.question(q) } : {}) };

try {
  await runDeploy(
    {
      config,
      stateDir,
      userName: flags.user ?? userInfo().username,
      env: process.env,
      sidecarPackage: JSON.parse(readFileSync(join(ROOT, "sidecar/package.json"), "utf8")) as { version: string; "x-published"?: boolean },
    },
    cloud,
    io,
  );
  terminal?.close();
  if (flags.local && flags["keep-running"]) {
    process.stdout.write("serving until Ctrl-C\n");
    await new Promise<void>((done) => {
      process.once("SIGINT", done);
      process.once("SIGTERM", done);
    });
  }
  await cloud.close();
} catch (err) {
  terminal?.close();
  await cloud.close();
  process.stderr.write(`hearth deploy: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

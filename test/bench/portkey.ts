/**
 * Portkey's open-source gateway (a copy prepared by portkey-prepare.ts, outside this repository)
 * under its own `wrangler dev`: this workspace's wrangler (4.86.0, the newest that runs on Node 20)
 * on Portkey's Worker entry, with the compatibility settings of Portkey's own wrangler.toml, from a
 * temporary config in a temporary directory. Nothing of Portkey's is copied into this repository.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Gateway } from "./gateway-client.js";
import { ROOT, freePort } from "../support/wrangler.js";

const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");

export interface RunningPortkey {
  url: string;
  version: string;
  /** The bench's view of it: OpenAI as the provider, the fake upstream as its custom host. */
  gateway(upstream: { url: string }, apiKey: string): Gateway;
  /** What its wrangler dev printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Portkey's wrangler.toml settings for the dev Worker (its top-level table). */
async function portkeyConfig(dir: string): Promise<{ compatibilityDate: string; flags: string[] }> {
  const toml = await readFile(join(dir, "wrangler.toml"), "utf8");
  const top = toml.split(/^\[/m)[0] ?? "";
  const date = /^compatibility_date = "(.+)"$/m.exec(top)?.[1];
  if (!date) throw new Error(`${dir}/wrangler.toml has no compatibility_date`);
  const flags = [.../^compatibility_flags = \[(.*)\]$/m.exec(top)?.[1]?.matchAll(/"([^"]+)"/g) ?? []].map((m) => m[1] ?? "");
  return { compatibilityDate: date, flags };
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + 90_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`Portkey's wrangler dev exited (${child.exitCode}):\n${log()}`);
    try {
      const r = await fetch(`${url}/`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Portkey's wrangler dev did not become ready:\n${log()}`);
}

async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || !child.pid) return;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(-child.pid, "SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
}

export async function startPortkey(portkeyDir: string): Promise<RunningPortkey> {
  const dir = resolve(portkeyDir);
  const entry = join(dir, "src/index.ts");
  if (!existsSync(entry) || !existsSync(join(dir, "node_modules"))) {
    throw new Error(`${dir} is not a prepared Portkey gateway (no src/index.ts or node_modules): see test/bench/portkey-prepare.ts`);
  }
  const { version } = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { version: string };
  const { compatibilityDate, flags } = await portkeyConfig(dir);
  const tmp = await mkdtemp(join(tmpdir(), "hearth-portkey-"));
  const config = join(tmp, "wrangler.json");
  await writeFile(
    config,
    JSON.stringify({
      name: "portkey-gateway",
      main: entry,
      compatibility_date: compatibilityDate,
      compatibility_flags: flags,
      send_metrics: false,
      vars: { ENVIRONMENT: "dev" },
    }),
  );
  const port = await freePort();
  const inspector = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    WRANGLER,
    ["dev", "-c", config, "--ip", "127.0.0.1", "--port", String(port), "--persist-to", join(tmp, "state"),
      "--inspector-port", String(inspector), "--show-interactive-dev-session=false", "--log-level", "warn"],
    {
      cwd: tmp,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" },
    },
  );
  let output = "";
  // Keep the tail only: a gateway that logs per request under load would outgrow a string.
  const keep = (d: Buffer) => void (output = (output + d.toString()).slice(-1_000_000));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const stop = async () => {
    await killGroup(child);
    await rm(tmp, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    version,
    // Read from Portkey 1.15.2's requestValidator and requestContext: `x-portkey-provider` picks the
    // provider, `x-portkey-custom-host` replaces its base URL (127.0.0.1 is on its default trusted list),
    // and the Authorization header goes to the provider as it is.
    gateway: (upstream, apiKey) => ({
      name: "portkey",
      url: `${url}/v1/chat/completions`,
      headers: { authorization: `Bearer ${apiKey}`, "x-portkey-provider": "openai", "x-portkey-custom-host": `${upstream.url}/v1` },
      model: "gpt-4o-mini",
    }),
    output: () => output,
    stop,
  };
}

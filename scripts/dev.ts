/**
 * `pnpm start`: Hearth on this machine. Applies the local D1 migrations, starts `wrangler dev` on
 * 127.0.0.1, makes sure a demo user exists, and prints its API key and a request to try.
 *
 * Settings come from `.dev.vars` (written on first run with a fresh admin token; add cloud keys there).
 * PORT picks the port (default 8787).
 */
import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const PORT = Number(process.env.PORT ?? 8787);
const URL = `http://127.0.0.1:${PORT}`;
const DEMO_FILE = join(ROOT, ".hearth/demo.json");
const QUIET = { WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const PASSED_ON = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"];

const say = (line = "") => process.stdout.write(line + "\n");

function readDevVars(): Record<string, string> {
  const path = join(ROOT, ".dev.vars");
  if (!existsSync(path)) {
    // First run: a fresh admin token, plus any cloud settings already in the environment.
    const lines = [`HEARTH_ADMIN_TOKEN=${randomBytes(24).toString("base64url")}`];
    for (const name of PASSED_ON) if (process.env[name]) lines.push(`${name}=${process.env[name]}`);
    writeFileSync(path, lines.join("\n") + "\n", { mode: 0o600 });
    say(`wrote .dev.vars (admin token${lines.length > 1 ? " and cloud settings from your environment" : ""})`);
  }
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/.exec(line);
    if (m?.[1] && m[2] !== undefined) vars[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
  }
  return vars;
}

async function waitReady(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${URL}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`wrangler dev did not answer on ${URL}`);
}

interface Demo {
  id: string;
  apiKey: string;
  sidecarToken: string;
}

async function demoUser(adminToken: string): Promise<Demo> {
  if (existsSync(DEMO_FILE)) {
    const saved = JSON.parse(readFileSync(DEMO_FILE, "utf8")) as Demo;
    const me = await fetch(`${URL}/v1/me`, { headers: { authorization: `Bearer ${saved.apiKey}` } });
    if (me.ok) return saved;
  }
  const r = await fetch(`${URL}/admin/users`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "demo" }),
  });
  if (r.status !== 201) throw new Error(`could not create the demo user: ${r.status} ${await r.text()}`);
  const demo = (await r.json()) as Demo;
  mkdirSync(join(ROOT, ".hearth"), { recursive: true });
  writeFileSync(DEMO_FILE, JSON.stringify(demo, null, 2) + "\n", { mode: 0o600 });
  return demo;
}

async function main(): Promise<void> {
  const vars = readDevVars();
  if (!vars.HEARTH_ADMIN_TOKEN) throw new Error(".dev.vars has no HEARTH_ADMIN_TOKEN; delete the file to regenerate it");
  execFileSync(WRANGLER, ["d1", "migrations", "apply", "DB", "--local"], { cwd: ROOT, stdio: "ignore", env: { ...process.env, ...QUIET } });

  const worker = spawn(WRANGLER, ["dev", "--ip", "127.0.0.1", "--port", String(PORT), "--show-interactive-dev-session=false"], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, ...QUIET },
  });
  const stop = () => worker.kill("SIGTERM");
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  worker.on("exit", (code) => process.exit(code ?? 0));

  await waitReady();
  const demo = await demoUser(vars.HEARTH_ADMIN_TOKEN);
  const cloud = PASSED_ON.filter((n) => n.endsWith("_API_KEY") && vars[n]).map((n) => n.split("_")[0]?.toLowerCase());
  say();
  say(`Hearth is running on ${URL}`);
  say(`  demo user:     ${demo.id}`);
  say(`  API key:       ${demo.apiKey}`);
  say(`  sidecar token: ${demo.sidecarToken}`);
  say(`  admin token:   in .dev.vars (HEARTH_ADMIN_TOKEN)`);
  say(
    cloud.length > 0
      ? `  cloud targets: ${cloud.join(", ")}`
      : `  cloud targets: none configured — requests answer 503 no_target_available until you add\n                 OPENAI_API_KEY and/or ANTHROPIC_API_KEY to .dev.vars and restart`,
  );
  say();
  say("Try:");
  say(`  curl -s ${URL}/v1/chat/completions -H 'authorization: Bearer ${demo.apiKey}' \\`);
  say(`    -H 'content-type: application/json' -d '{"model":"auto","messages":[{"role":"user","content":"Hello!"}]}' -i`);
  say();
}

main().catch((err: unknown) => {
  process.stderr.write(`hearth dev: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/**
 * `pnpm start`: Hearth on this machine. Applies the local D1 migrations, starts `wrangler dev` on
 * 127.0.0.1 (which builds the dashboard's assets first: [build] in wrangler.toml), makes sure a demo
 * user exists, connects a sidecar for it, and prints the dashboard's URL, its API key and requests to try.
 *
 * Settings come from `.dev.vars` (written on first run with a fresh admin token; add cloud keys there).
 * PORT picks the port (default 8787). HEARTH_DEV_STATE_DIR moves what it keeps — .dev.vars, the demo
 * user, local D1 — out of the checkout into that directory (a fresh start, e.g. for a test). The sidecar serves HEARTH_MODELS (GGUF files or directories)
 * and/or HEARTH_OLLAMA_URL when set; otherwise a generated tiny GGUF that talks nonsense.
 */
import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { DEMO_MODEL, DEMO_MODEL_DIR, ensureTinyModel } from "./lib/tiny-gguf.js";

const ROOT = resolve(import.meta.dirname, "..");
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const PORT = Number(process.env.PORT ?? 8787);
const URL = `http://127.0.0.1:${PORT}`;
const STATE_DIR = process.env.HEARTH_DEV_STATE_DIR ? resolve(process.env.HEARTH_DEV_STATE_DIR) : undefined;
const DEV_VARS = join(STATE_DIR ?? ROOT, ".dev.vars");
const DEMO_FILE = STATE_DIR ? join(STATE_DIR, "demo.json") : join(ROOT, ".hearth/demo.json");
/** wrangler's flags for a state directory: its .dev.vars and D1 there instead of the checkout's. */
const STATE_FLAGS = STATE_DIR ? ["--persist-to", join(STATE_DIR, "wrangler")] : [];
const QUIET = { WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const PASSED_ON = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"];

const say = (line = "") => process.stdout.write(line + "\n");

function readDevVars(): Record<string, string> {
  const path = DEV_VARS;
  if (!existsSync(path)) {
    // First run: a fresh admin token, plus any cloud settings already in the environment.
    const lines = [`HEARTH_ADMIN_TOKEN=${randomBytes(24).toString("base64url")}`];
    for (const name of PASSED_ON) if (process.env[name]) lines.push(`${name}=${process.env[name]}`);
    mkdirSync(dirname(path), { recursive: true });
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
  mkdirSync(dirname(DEMO_FILE), { recursive: true });
  writeFileSync(DEMO_FILE, JSON.stringify(demo, null, 2) + "\n", { mode: 0o600 });
  return demo;
}

async function localModels(apiKey: string): Promise<string[]> {
  const r = await fetch(`${URL}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } });
  const body = (await r.json()) as { data?: { id: string }[] };
  return (body.data ?? []).map((m) => m.id).filter((id) => id.startsWith("local/"));
}

/** Starts the sidecar for the demo user; returns the models it serves once the Worker lists them. */
async function startSidecar(demo: Demo, children: ReturnType<typeof spawn>[]): Promise<string[]> {
  const args = [join(ROOT, "sidecar/src/cli.ts"), "--url", URL, "--token", demo.sidecarToken];
  if (!process.env.HEARTH_MODELS && !process.env.HEARTH_OLLAMA_URL) {
    args.push("--models", await ensureTinyModel(DEMO_MODEL_DIR, DEMO_MODEL));
  }
  // The demo sidecar reads only what this script says: a config a real `hearth-sidecar init` wrote on this
  // machine (~/.config/hearth/sidecar.yaml, read by default) must not add its models or Ollama here.
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: join(ROOT, ".hearth", "no-config") };
  delete env.HEARTH_SIDECAR_CONFIG;
  const sidecar = spawn(join(ROOT, "node_modules/.bin/tsx"), args, { cwd: ROOT, env, stdio: ["ignore", "inherit", "inherit"] });
  children.push(sidecar);
  for (let i = 0; i < 300; i++) {
    const models = await localModels(demo.apiKey);
    if (models.length > 0) return models;
    if (sidecar.exitCode !== null) throw new Error(`the sidecar exited (${sidecar.exitCode})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("the sidecar did not connect within 60 s");
}

async function main(): Promise<void> {
  const vars = readDevVars();
  if (!vars.HEARTH_ADMIN_TOKEN) throw new Error(".dev.vars has no HEARTH_ADMIN_TOKEN; delete the file to regenerate it");
  execFileSync(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", ...STATE_FLAGS], { cwd: ROOT, stdio: "ignore", env: { ...process.env, ...QUIET } });

  const devFlags = STATE_DIR ? [...STATE_FLAGS, "--env-file", DEV_VARS] : [];
  const worker = spawn(WRANGLER, ["dev", "--ip", "127.0.0.1", "--port", String(PORT), "--show-interactive-dev-session=false", ...devFlags], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, ...QUIET },
  });
  const children = [worker];
  const stop = () => {
    for (const child of children) child.kill("SIGTERM");
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  worker.on("exit", (code) => {
    stop();
    process.exit(code ?? 0);
  });

  await waitReady();
  const demo = await demoUser(vars.HEARTH_ADMIN_TOKEN);
  const models = await startSidecar(demo, children);
  const cloud = PASSED_ON.filter((n) => n.endsWith("_API_KEY") && vars[n]).map((n) => n.split("_")[0]?.toLowerCase());
  say();
  say(`Hearth is running on ${URL}`);
  say(`  dashboard:     ${URL}/  (sign in with the API key below; the admin token signs the operator in)`);
  say(`  demo user:     ${demo.id}`);
  say(`  API key:       ${demo.apiKey}`);
  say(`  sidecar token: ${demo.sidecarToken}`);
  say(`  admin token:   in .dev.vars (HEARTH_ADMIN_TOKEN)`);
  say(`  sidecar:       connected, serving ${models.join(", ")}`);
  if (!process.env.HEARTH_MODELS && !process.env.HEARTH_OLLAMA_URL) {
    say(`                 (a generated tiny model with random weights: it answers in nonsense; set HEARTH_MODELS`);
    say(`                 to GGUF files or HEARTH_OLLAMA_URL to an Ollama for real answers)`);
  }
  say(
    cloud.length > 0
      ? `  cloud targets: ${cloud.join(", ")}`
      : `  cloud targets: none configured — when home cannot answer, requests get 503 no_target_available;\n                 add OPENAI_API_KEY and/or ANTHROPIC_API_KEY to .dev.vars and restart for cloud fallback`,
  );
  say();
  say("Try (the x-hearth-target header says who answered):");
  say(`  curl -s ${URL}/v1/chat/completions -H 'authorization: Bearer ${demo.apiKey}' \\`);
  say(`    -H 'content-type: application/json' -d '{"model":"auto","max_tokens":32,"messages":[{"role":"user","content":"Hello!"}]}' -i`);
  say(`and watch it arrive on the dashboard's Live view: ${URL}/#/live`);
  say();
}

main().catch((err: unknown) => {
  process.stderr.write(`hearth dev: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/**
 * Runs the real sidecar CLI as a child process for end-to-end tests and benchmarks, and waits until
 * the Worker lists its models (so the test starts from "connected", not from a race).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./wrangler.js";

export interface SidecarProcessOptions {
  workerUrl: string;
  token: string;
  /** An API key of the same user, used to wait until the Worker sees the sidecar's models. */
  apiKey: string;
  models?: string[];
  ollama?: string;
  /** Extra CLI flags, e.g. ["--slots", "1"]. */
  args?: string[];
  /** The sidecar's --log-level. Default: info (tests read its log); benchmarks pass the CLI's own default. */
  logLevel?: string;
  /** Wait for this many local models to be listed. Default: 1. Use 0 not to wait. */
  expectModels?: number;
  /** Extra environment variables for the sidecar process. Default: none. */
  env?: Record<string, string>;
}

export interface SidecarProcess {
  child: ChildProcess;
  output(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export async function localModels(workerUrl: string, apiKey: string): Promise<string[]> {
  const r = await fetch(`${workerUrl}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } });
  if (!r.ok) return [];
  const body = (await r.json()) as { data: { id: string }[] };
  return body.data.map((m) => m.id).filter((id) => id.startsWith("local/"));
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startSidecar(opts: SidecarProcessOptions): Promise<SidecarProcess> {
  const args = [join(ROOT, "sidecar/src/cli.ts"), "--url", opts.workerUrl, "--token", opts.token, "--log-level", opts.logLevel ?? "info", "--gpu", "off", "--threads", "1"];
  if (opts.models?.length) args.push("--models", opts.models.join(","));
  if (opts.ollama) args.push("--ollama", opts.ollama);
  args.push(...(opts.args ?? []));
  // node --import tsx, not the tsx wrapper: signals must reach the sidecar itself, not a parent of it.
  // No config file but the test's own: a developer's ~/.config/hearth/sidecar.yaml (hearth-sidecar init) would be read too.
  const env = { ...process.env, XDG_CONFIG_HOME: join(ROOT, ".hearth", "no-config"), ...opts.env };
  const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const proc: SidecarProcess = {
    child,
    output: () => output,
    async stop(signal = "SIGTERM", timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  const expected = opts.expectModels ?? 1;
  if (expected > 0) {
    try {
      await waitFor(async () => (await localModels(opts.workerUrl, opts.apiKey)).length >= expected, 30_000, "the sidecar's models");
    } catch (err) {
      await proc.stop("SIGKILL");
      throw new Error(`${err instanceof Error ? err.message : String(err)}\nsidecar output:\n${output}`);
    }
  }
  return proc;
}

/**
 * A new user's first minute, as the README's first command gives it: `pnpm start` (the Worker under
 * wrangler dev, local D1, a demo user, a sidecar on the generated demo model), then the `openai`
 * client's plainest call — `model: "auto"`, one short user message, no max_tokens — in both client
 * modes. It used to be refused (400, "the prompt is longer than the context…") because the demo model's
 * context (256) had no room for the answer Hearth keeps free (256 tokens without max_tokens).
 *
 * `pnpm start` runs as a user runs it, its state (.dev.vars, the demo user, local D1) in a fresh
 * directory (HEARTH_DEV_STATE_DIR) instead of the checkout's.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { freePort, ROOT } from "../support/wrangler.js";

let child: ChildProcess;
let output = "";
let state: string;
let client: OpenAI;
let startedMs = 0;

/** Waits until `pnpm start` prints the API key of its demo user (it prints it once everything is up). */
function apiKeyPrinted(timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pnpm start printed no API key within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      const key = /^ {2}API key: +(hk_\S+)$/m.exec(output)?.[1];
      if (key) {
        clearTimeout(timer);
        resolve(key);
      } else if (child.exitCode !== null) {
        clearTimeout(timer);
        reject(new Error(`pnpm start exited (${child.exitCode}):\n${output}`));
      }
    };
    child.stdout?.on("data", check);
    child.on("exit", check);
  });
}

beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), "hearth-first-"));
  const port = await freePort();
  const started = performance.now();
  child = spawn("pnpm", ["start"], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HEARTH_DEV_STATE_DIR: state, HEARTH_MODELS: "", HEARTH_OLLAMA_URL: "", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const apiKey = await apiKeyPrinted(120_000);
  startedMs = Math.round(performance.now() - started);
  client = new OpenAI({ apiKey, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
}, 150_000);

afterAll(async () => {
  console.info(`pnpm start: ready in ${startedMs} ms`);
  const running = () => child?.pid !== undefined && child.exitCode === null && child.signalCode === null;
  if (running()) {
    // The whole process group: pnpm, tsx, wrangler, workerd and the sidecar.
    const exited = new Promise((r) => child.once("exit", r));
    process.kill(-(child.pid as number), "SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (running()) process.kill(-(child.pid as number), "SIGKILL");
  }
  if (state) await rm(state, { recursive: true, force: true });
});

describe("pnpm start, then the plainest openai call", () => {
  it("serves the demo model's answer at home (no max_tokens, not streamed)", async () => {
    onTestFailed(() => console.error(output));
    const { data, response } = await client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "Hello!" }] }).withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get("x-hearth-target")).toBe("local/hearth-tiny");
    expect(data.object).toBe("chat.completion");
    expect(data.choices[0]?.finish_reason).toMatch(/^(stop|length)$/);
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);
  }, 60_000);

  it("streams the demo model's answer at home (no max_tokens)", async () => {
    onTestFailed(() => console.error(output));
    const { data: stream, response } = await client.chat.completions.create({ model: "auto", stream: true, messages: [{ role: "user", content: "Hello!" }] }).withResponse();
    expect(response.headers.get("x-hearth-target")).toBe("local/hearth-tiny");
    let text = "";
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toMatch(/^(stop|length)$/);
  }, 60_000);

  it("says what max_tokens would fit when only the answer's room does not", async () => {
    // The demo model's context is 4,096 tokens: a 1,024-token answer room plus a ~3,500-token prompt overflows it.
    const prompt = "word ".repeat(3500); // ~3,500 tokens by the Worker's estimate
    const err = await client.chat.completions.create({ model: "auto", max_tokens: 2000, messages: [{ role: "user", content: prompt }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.code).toBe("context_length_exceeded");
    expect(e.param).toBe("max_tokens");
    expect(e.message).toMatch(/fits local\/hearth-tiny's context of 4096 tokens, but not with room for a 1024-token answer .*set max_tokens to \d+ or less/);
  });
});

/**
 * `pnpm bench`: what Hearth adds to a non-streaming chat request, measured against a zero-delay fake
 * OpenAI in a separate process. Three variants, interleaved request by request at a fixed rate:
 *   direct       — the client calls the fake upstream
 *   passthrough  — through an empty Worker under the same wrangler dev (the platform's floor)
 *   hearth       — through Hearth (auth from its cache, validation, planning, the OpenAI SDK)
 * Hearth's own cost is hearth − passthrough; hearth − direct includes wrangler dev's.
 *
 * Options: --requests N per variant (default 400), --rate R requests/s per variant (default 40).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, cloudVars, freePort, startWorker, type RunningWorker } from "../support/wrangler.js";
import { summarize, table } from "./stats.js";

const { values } = parseArgs({
  options: { requests: { type: "string", default: "400" }, rate: { type: "string", default: "40" } },
});
const N = Number(values.requests);
const RATE = Number(values.rate);

async function startUpstream(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "test/fakes/serve.ts"), "--openai-port", String(port)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve) => child.stdout?.once("data", () => resolve()));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

const body = JSON.stringify({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Say hello in five words." }], max_tokens: 32 });
const directBody = body.replace("openai/gpt-4o-mini", "gpt-4o-mini");

async function timed(url: string, key: string, payload: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: payload });
  await r.arrayBuffer();
  const ms = performance.now() - t0;
  if (r.status !== 200) throw new Error(`${url} answered ${r.status}`);
  return ms;
}

async function main(): Promise<void> {
  const upstream = await startUpstream();
  const vars = cloudVars(upstream);
  let hearth: RunningWorker | undefined;
  let floor: RunningWorker | undefined;
  try {
    hearth = await startWorker({ vars, rateLimitPerMinute: 1_000_000 });
    floor = await startWorker({ vars, main: join(ROOT, "test/bench/passthrough-worker.ts") });
    const { apiKey } = await hearth.createUser("bench");
    const variants = {
      direct: () => timed(`${upstream.url}/v1/chat/completions`, "test-openai-key", directBody),
      passthrough: () => timed(`${floor?.url}/v1/chat/completions`, "unused", directBody),
      hearth: () => timed(`${hearth?.url}/v1/chat/completions`, apiKey, body),
    };
    const names = Object.keys(variants) as (keyof typeof variants)[];
    // Warm-up: JIT, connection pools, the auth cache.
    for (let i = 0; i < 30; i++) for (const n of names) await variants[n]();

    const samples: Record<string, number[]> = { direct: [], passthrough: [], hearth: [] };
    const interval = 1000 / (RATE * names.length);
    const pending: Promise<void>[] = [];
    const start = performance.now();
    for (let i = 0; i < N * names.length; i++) {
      const name = names[i % names.length] as keyof typeof variants;
      const due = start + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(variants[name]().then((ms) => void samples[name]?.push(ms)));
    }
    await Promise.all(pending);

    const s = Object.fromEntries(names.map((n) => [n, summarize(samples[n] ?? [])]));
    const rows = names.map((n) => [n, String(s[n]?.n ?? 0), s[n]?.p50 ?? 0, s[n]?.p90 ?? 0, s[n]?.p99 ?? 0, s[n]?.mean ?? 0]);
    const diff = (a: string, b: string) => [`${a} − ${b}`, "", (s[a]?.p50 ?? 0) - (s[b]?.p50 ?? 0), (s[a]?.p90 ?? 0) - (s[b]?.p90 ?? 0), (s[a]?.p99 ?? 0) - (s[b]?.p99 ?? 0), (s[a]?.mean ?? 0) - (s[b]?.mean ?? 0)];
    process.stdout.write(`\nNon-streaming chat completion, ${N} requests per variant at ${RATE}/s each, interleaved (ms)\n\n`);
    process.stdout.write(table(["variant", "n", "p50", "p90", "p99", "mean"], [...rows, diff("hearth", "passthrough"), diff("hearth", "direct"), diff("passthrough", "direct")]) + "\n\n");
    process.stdout.write("Targets: Hearth's own cost (hearth − passthrough) p50 ≤ 1 ms, p99 ≤ 5 ms.\n");
  } finally {
    await hearth?.stop();
    await floor?.stop();
    upstream.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

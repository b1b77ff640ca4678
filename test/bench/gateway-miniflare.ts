/**
 * `pnpm bench:gateway-miniflare`: the gateway bench's second view — the runtime alone. The pass-through
 * floor, the design's floor (`bare`, bare-gateway.ts) and Hearth (`openai/<model>`) run in Miniflare
 * directly: the same workerd and bundle as `wrangler dev`, without wrangler's Node proxy and
 * inspector in front of them, whose per-chunk work inflates whatever streams its upstream (as
 * Hearth's design must). Against the same zero-delay fake OpenAI in a separate process:
 *   latency     N sequential requests per variant, interleaved, non-streaming and streaming (p50, p90)
 *   throughput  16 clients, 1.5 s windows taken in turn for 6 rounds (median requests/s)
 * Each figure is shown above the floor and above bare (Hearth's own share).
 *
 * Options: --requests N (default 400), --rounds R (default 6), --clients C (default 16).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startMiniflareWorker, type MiniflareWorker } from "../support/miniflare.js";
import { ROOT, cloudVars, freePort } from "../support/wrangler.js";
import { summarize, table } from "./stats.js";

const { values } = parseArgs({
  options: { requests: { type: "string", default: "400" }, rounds: { type: "string", default: "6" }, clients: { type: "string", default: "16" } },
});
const N = Number(values.requests);
const ROUNDS = Number(values.rounds);
const CLIENTS = Number(values.clients);
const WINDOW_MS = 1_500;

interface Variant {
  name: "floor" | "bare" | "hearth";
  url: string;
  key: string;
  model: string;
}

async function startUpstream(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "test/fakes/serve.ts"), "--openai-port", String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout?.once("data", () => resolve()));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

const MESSAGES = [{ role: "user", content: "Say hello in five words." }];

/** One request; checks the answer (a stream must end with [DONE]). */
async function call(v: Variant, stream: boolean): Promise<void> {
  const r = await fetch(`${v.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${v.key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: v.model, messages: MESSAGES, stream }),
  });
  const text = await r.text();
  if (r.status !== 200 || (stream && !text.trimEnd().endsWith("data: [DONE]"))) throw new Error(`${v.name}: ${r.status} ${text.slice(0, 300)}`);
}

async function latency(variants: Variant[], stream: boolean): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let i = 0; i < 30; i++) for (const v of variants) await call(v, stream);
  for (let i = 0; i < N; i++) {
    for (const v of variants) {
      const t0 = performance.now();
      await call(v, stream);
      out.get(v.name)?.push(performance.now() - t0);
    }
  }
  return out;
}

async function rate(v: Variant): Promise<number> {
  const until = performance.now() + WINDOW_MS;
  let n = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < until) {
        await call(v, false);
        n++;
      }
    }),
  );
  return n / (WINDOW_MS / 1000);
}

async function throughput(variants: Variant[]): Promise<Map<string, number>> {
  const rates = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (const v of variants) await rate(v);
  for (let r = 0; r < ROUNDS; r++) for (const v of variants) rates.get(v.name)?.push(await rate(v));
  return new Map([...rates].map(([name, rs]) => [name, summarize(rs).p50]));
}

const signed = (ms: number) => `${ms >= 0 ? "+" : "−"}${Math.abs(ms).toFixed(2)}`;

function latencyTable(title: string, samples: Map<string, number[]>): string {
  const s = new Map([...samples].map(([n, xs]) => [n, summarize(xs)]));
  const p50 = (n: string) => s.get(n)?.p50 ?? NaN;
  const rows = [...s].map(([n, x]) => [n, x.p50, x.p90, n === "floor" ? "" : signed(x.p50 - p50("floor")), n === "hearth" ? signed(x.p50 - p50("bare")) : ""]);
  return `${title}\n\n${table(["variant", "p50", "p90", "p50 − floor", "p50 − bare"], rows)}`;
}

async function main(): Promise<void> {
  const upstream = await startUpstream();
  const workers: MiniflareWorker[] = [];
  try {
    const vars = cloudVars(upstream);
    const floor = await startMiniflareWorker({ vars, main: join(ROOT, "test/bench/passthrough-worker.ts") });
    workers.push(floor);
    const bare = await startMiniflareWorker({ vars, main: join(ROOT, "test/bench/bare-gateway.ts") });
    workers.push(bare);
    const hearth = await startMiniflareWorker({ vars });
    workers.push(hearth);
    const { apiKey } = await hearth.createUser("bench");
    const variants: Variant[] = [
      { name: "floor", url: floor.url, key: "unused", model: "gpt-4o-mini" },
      { name: "bare", url: bare.url, key: "unused", model: "gpt-4o-mini" },
      { name: "hearth", url: hearth.url, key: apiKey, model: "openai/gpt-4o-mini" },
    ];
    const plain = await latency(variants, false);
    const stream = await latency(variants, true);
    const rates = await throughput(variants);
    const f = rates.get("floor") ?? NaN;
    const b = rates.get("bare") ?? NaN;
    const rateRows = [...rates].map(([n, r]) => [n, r, `${((100 * r) / f).toFixed(0)}%`, n === "hearth" ? `${((100 * r) / b).toFixed(0)}%` : ""]);
    process.stdout.write(
      [
        "",
        `Miniflare direct (no wrangler dev proxy), zero-delay fake OpenAI, ${N} requests per variant per mode, interleaved (ms)`,
        "",
        latencyTable("Non-streaming: whole response", plain),
        "",
        latencyTable("Streaming: to the end of the stream", stream),
        "",
        `Throughput: ${CLIENTS} clients, non-streaming, median of ${ROUNDS} rounds of ${WINDOW_MS / 1000} s windows taken in turn`,
        "",
        table(["variant", "requests/s", "share of floor", "share of bare"], rateRows),
        "",
      ].join("\n"),
    );
  } finally {
    for (const w of workers) await w.stop();
    upstream.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/**
 * `pnpm bench:tunnel`: what the home path costs, side by side in one run.
 *
 *  1. Tunnel overhead — time to first token and total, streaming, for a short answer:
 *       direct      the sidecar's Ollama backend called in this process (no Hearth at all)
 *       floor       an empty Worker under the same wrangler dev forwarding to the same upstream
 *       tunnel      client → Hearth Worker → user's Durable Object → WebSocket → sidecar → backend
 *     Hearth's own share is tunnel − floor (the floor is wrangler dev's HTTP hop, not Hearth's).
 *  2. Tunnel throughput — tokens/s one connection carries from a backend producing as fast as it can.
 *  3. Failover — a cloud answer for a local_first user whose sidecar is offline, against a
 *     cloud_only user (no home in the plan at all). The difference is what "home is offline" costs.
 *
 * The upstreams (fake Ollama, fake OpenAI) run in their own process. Options: --requests N (default 200).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createOllamaBackend } from "../../sidecar/src/backends/ollama/index.js";
import { silentLogger } from "../../sidecar/src/log.js";
import { startSidecar, type SidecarProcess } from "../support/sidecar.js";
import { ROOT, freePort, startWorker, type RunningWorker } from "../support/wrangler.js";
import { summarize, table, type Summary } from "./stats.js";

const { values } = parseArgs({ options: { requests: { type: "string", default: "200" } } });
const N = Number(values.requests);
const MODEL = "bench:latest";

async function startUpstreams(): Promise<{ openai: string; ollama: string; stop: () => void }> {
  const [openaiPort, ollamaPort] = [await freePort(), await freePort()];
  const child = spawn(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "test/fakes/serve.ts"), "--openai-port", String(openaiPort), "--ollama-port", String(ollamaPort)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve) => child.stdout?.once("data", () => resolve()));
  return { openai: `http://127.0.0.1:${openaiPort}`, ollama: `http://127.0.0.1:${ollamaPort}`, stop: () => child.kill() };
}

interface Timing {
  ttft: number;
  total: number;
  tokens: number;
}

/** Reads an OpenAI SSE stream; times the first content and the end. */
async function sse(url: string, key: string, body: object): Promise<Timing> {
  const t0 = performance.now();
  const r = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ ...body, stream: true }) });
  if (!r.ok || !r.body) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  let ttft = 0;
  let chars = 0;
  let buf = "";
  const decoder = new TextDecoder();
  for await (const bytes of r.body) {
    buf += decoder.decode(bytes, { stream: true });
    let i: number;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const event = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (!event.startsWith("data: {")) continue;
      const content = (JSON.parse(event.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content;
      if (content) {
        if (!ttft) ttft = performance.now() - t0;
        chars += content.length;
      }
    }
  }
  return { ttft, total: performance.now() - t0, tokens: Math.ceil(chars / 4) };
}

/** The floor: a plain HTTP round trip through wrangler dev to the same upstream (NDJSON stream). */
async function floorCall(url: string, prompt: string): Promise<Timing> {
  const t0 = performance.now();
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: prompt }] }) });
  let ttft = 0;
  for await (const _ of r.body ?? []) if (!ttft) ttft = performance.now() - t0;
  return { ttft, total: performance.now() - t0, tokens: 0 };
}

async function direct(host: string, prompt: string): Promise<Timing> {
  const backend = createOllamaBackend({ host, log: silentLogger });
  const t0 = performance.now();
  let ttft = 0;
  let tokens = 0;
  for await (const ev of backend.generate(MODEL, { model: MODEL, messages: [{ role: "user", content: prompt }] }, { signal: new AbortController().signal })) {
    if (ev.type === "text") {
      if (!ttft) ttft = performance.now() - t0;
      tokens++;
    }
  }
  await backend.dispose();
  return { ttft, total: performance.now() - t0, tokens };
}

async function cloudCall(url: string, key: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ model: "auto", messages: [{ role: "user", content: "hello" }] }) });
  await r.arrayBuffer();
  if (r.headers.get("x-hearth-target") !== "openai/gpt-4o-mini") throw new Error(`unexpected target ${r.headers.get("x-hearth-target")}`);
  return performance.now() - t0;
}

const row = (name: string, s: Summary) => [name, String(s.n), s.p50, s.p90, s.p99];
const diff = (name: string, a: Summary, b: Summary) => [name, "", a.p50 - b.p50, a.p90 - b.p90, a.p99 - b.p99];

async function main(): Promise<void> {
  const up = await startUpstreams();
  let hearth: RunningWorker | undefined;
  let floor: RunningWorker | undefined;
  let sidecar: SidecarProcess | undefined;
  try {
    hearth = await startWorker({
      vars: { OPENAI_API_KEY: "test-openai-key", OPENAI_BASE_URL: `${up.openai}/v1`, HEARTH_AUTO_TARGETS: "openai/gpt-4o-mini" },
      rateLimitPerMinute: 1_000_000,
    });
    floor = await startWorker({ vars: { OPENAI_BASE_URL: `${up.ollama}/v1` }, main: join(ROOT, "test/bench/passthrough-worker.ts") });
    const home = await hearth.createUser("home");
    const offline = await hearth.createUser("offline");
    const cloudOnly = await hearth.createUser("cloud-only", { mode: "cloud_only" });
    sidecar = await startSidecar({ workerUrl: hearth.url, token: home.sidecarToken, apiKey: home.apiKey, ollama: up.ollama, args: ["--slots", "4", "--queue", "16"] });
    const chat = `${hearth.url}/v1/chat/completions`;
    const prompt = "Say hello in a few words.";

    // 1. Tunnel overhead, interleaved.
    for (let i = 0; i < 20; i++) {
      await direct(up.ollama, prompt);
      await floorCall(`${floor.url}/api/chat`, prompt);
      await sse(chat, home.apiKey, { model: `local/${MODEL}`, messages: [{ role: "user", content: prompt }] });
    }
    const t: Record<"direct" | "floor" | "tunnel", Timing[]> = { direct: [], floor: [], tunnel: [] };
    for (let i = 0; i < N; i++) {
      t.direct.push(await direct(up.ollama, prompt));
      t.floor.push(await floorCall(`${floor.url}/api/chat`, prompt));
      t.tunnel.push(await sse(chat, home.apiKey, { model: `local/${MODEL}`, messages: [{ role: "user", content: prompt }] }));
    }
    const s = (k: keyof typeof t, f: keyof Timing) => summarize(t[k].map((x) => x[f]));
    process.stdout.write(`\n1. Tunnel overhead, streaming, ${N} requests per variant, interleaved (ms)\n\n`);
    process.stdout.write(
      table(["time to first token", "n", "p50", "p90", "p99"], [
        row("direct (in-process backend)", s("direct", "ttft")),
        row("floor (empty Worker hop)", s("floor", "ttft")),
        row("tunnel (Hearth)", s("tunnel", "ttft")),
        diff("tunnel − floor", s("tunnel", "ttft"), s("floor", "ttft")),
        diff("tunnel − direct", s("tunnel", "ttft"), s("direct", "ttft")),
      ]) + "\n\n",
    );
    process.stdout.write(
      table(["total time", "n", "p50", "p90", "p99"], [
        row("direct (in-process backend)", s("direct", "total")),
        row("floor (empty Worker hop)", s("floor", "total")),
        row("tunnel (Hearth)", s("tunnel", "total")),
        diff("tunnel − floor", s("tunnel", "total"), s("floor", "total")),
        diff("tunnel − direct", s("tunnel", "total"), s("direct", "total")),
      ]) + "\n\n",
    );

    // 2. Throughput: ~20,000 tokens as fast as the backend makes them.
    const long = "x".repeat(80_000);
    const rates: Record<"direct" | "tunnel", number[]> = { direct: [], tunnel: [] };
    for (let i = 0; i < 5; i++) {
      const d = await direct(up.ollama, long);
      rates.direct.push(d.tokens / ((d.total - d.ttft) / 1000));
      const tu = await sse(chat, home.apiKey, { model: `local/${MODEL}`, messages: [{ role: "user", content: long }] });
      rates.tunnel.push(tu.tokens / ((tu.total - tu.ttft) / 1000));
    }
    const r = (k: keyof typeof rates) => summarize(rates[k]);
    process.stdout.write(`2. Throughput of one connection, ~${Math.ceil(long.length / 4)} tokens per answer, 5 runs (tokens/s)\n\n`);
    process.stdout.write(table(["variant", "n", "p50", "p90", "max"], [
      ["direct (in-process backend)", "5", r("direct").p50, r("direct").p90, r("direct").p99],
      ["tunnel (Hearth)", "5", r("tunnel").p50, r("tunnel").p90, r("tunnel").p99],
    ]) + "\n\n");

    // 3. Failover cost when home is offline.
    for (let i = 0; i < 20; i++) {
      await cloudCall(chat, offline.apiKey);
      await cloudCall(chat, cloudOnly.apiKey);
    }
    const f: Record<"offline" | "cloudOnly", number[]> = { offline: [], cloudOnly: [] };
    for (let i = 0; i < N; i++) {
      f.offline.push(await cloudCall(chat, offline.apiKey));
      f.cloudOnly.push(await cloudCall(chat, cloudOnly.apiKey));
    }
    const fo = summarize(f.offline);
    const co = summarize(f.cloudOnly);
    process.stdout.write(`3. Failover: cloud answer, non-streaming, ${N} requests per variant, interleaved (ms)\n\n`);
    process.stdout.write(table(["variant", "n", "p50", "p90", "p99"], [
      row("cloud_only (no home in the plan)", co),
      row("local_first, sidecar offline", fo),
      diff("offline − cloud_only", fo, co),
    ]) + "\n\n");
    process.stdout.write("Targets: tunnel − direct ≤ 2 ms at p50 (see tunnel − floor for Hearth's own share); ≥ 20,000 tokens/s; offline − cloud_only ≤ 1 ms.\n");
  } finally {
    await sidecar?.stop("SIGTERM");
    await hearth?.stop();
    await floor?.stop();
    up.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

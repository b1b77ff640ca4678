/**
 * `pnpm bench:tunnel`: what the home path costs, side by side in one run.
 *
 *  1. Tunnel overhead — time to first token and total, streaming, for a short answer:
 *       direct      the sidecar's Ollama backend called in this process (no Hearth at all), kept
 *                   alive between calls as the sidecar keeps it
 *       floor       an empty Worker forwarding to the same upstream, in the same runtime as Hearth
 *       bare        the bare tunnel (bare/): Worker → Durable Object → WebSocket → a home process
 *                   running the same backend, with none of Hearth's work — the least this design
 *                   costs on this runtime and machine (Miniflare view only)
 *       tunnel      client → Hearth Worker → user's Durable Object → WebSocket → sidecar → backend
 *     Hearth's own share is tunnel − bare. Two views, interleaved in the same loop: under wrangler dev
 *     (its proxy Worker is in front of every request and of the sidecar's WebSocket) and in Miniflare
 *     directly (the same workerd and bundle, no proxy). See tunnel-stacks.ts.
 *  2. Tunnel throughput — tokens/s one connection carries from a backend producing as fast as it can.
 *  3. Failover — a cloud answer for a local_first user whose sidecar is offline, against a
 *     cloud_only user (no home in the plan at all). The difference is what "home is offline" costs.
 *  2 and 3 run under wrangler dev (under Miniflare with --miniflare-only).
 *
 * The upstreams (fake Ollama, fake OpenAI) run in their own process.
 * Options: --requests N (default 200); --wrangler-only or --miniflare-only (one view).
 */
import { parseArgs } from "node:util";
import { createOllamaBackend } from "../../sidecar/src/backends/ollama/index.js";
import { silentLogger } from "../../sidecar/src/log.js";
import { summarize, table, type Summary } from "./stats.js";
import { startStack, startUpstreams, type Stack } from "./tunnel-stacks.js";

const { values } = parseArgs({ options: { requests: { type: "string", default: "200" }, "wrangler-only": { type: "boolean", default: false }, "miniflare-only": { type: "boolean", default: false } } });
const N = Number(values.requests);
const MODEL = "bench:latest";

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

const backends = new Map<string, ReturnType<typeof createOllamaBackend>>();

async function direct(host: string, prompt: string): Promise<Timing> {
  let backend = backends.get(host);
  if (!backend) backends.set(host, (backend = createOllamaBackend({ host, log: silentLogger })));
  const t0 = performance.now();
  let ttft = 0;
  let tokens = 0;
  for await (const ev of backend.generate(MODEL, { model: MODEL, messages: [{ role: "user", content: prompt }] }, { signal: new AbortController().signal })) {
    if (ev.type === "text") {
      if (!ttft) ttft = performance.now() - t0;
      tokens++;
    }
  }
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

type Variant = "direct" | "floor" | "bare" | "tunnel";
const NONE: Timing = { ttft: NaN, total: NaN, tokens: 0 };

/** One request of each variant, on each stack (direct is the same on both: it has no Worker). */
async function overheadRound(up: { ollama: string }, stacks: Stack[], prompt: string): Promise<{ direct: Timing; per: Record<"floor" | "bare" | "tunnel", Timing>[] }> {
  const d = await direct(up.ollama, prompt);
  const per: Record<"floor" | "bare" | "tunnel", Timing>[] = [];
  for (const st of stacks) {
    const floor = await floorCall(`${st.floor}/api/chat`, prompt);
    const bare = st.bare ? await sse(`${st.bare}/chat`, "", { model: MODEL, messages: [{ role: "user", content: prompt }] }) : NONE;
    const tunnel = await sse(`${st.hearth}/v1/chat/completions`, st.users.home.apiKey, { model: `local/${MODEL}`, messages: [{ role: "user", content: prompt }] });
    per.push({ floor, bare, tunnel });
  }
  return { direct: d, per };
}

/** Rows of variant percentiles and differences; one column group per stack. */
function overheadTable(title: string, field: keyof Timing, stacks: Stack[], t: Record<Variant, Timing[]>[]): string {
  const s = (i: number, k: Variant) => summarize((t[i]?.[k] ?? []).map((x) => x[field]));
  const groups = stacks.map((_, i) => [
    row("direct (in-process backend)", s(i, "direct")),
    row("floor (empty Worker hop)", s(i, "floor")),
    row("bare tunnel (no Hearth code)", s(i, "bare")),
    row("tunnel (Hearth)", s(i, "tunnel")),
    diff("bare − direct (the design's floor)", s(i, "bare"), s(i, "direct")),
    diff("tunnel − bare (Hearth's own)", s(i, "tunnel"), s(i, "bare")),
    diff("tunnel − direct", s(i, "tunnel"), s(i, "direct")),
  ]);
  const rows = (groups[0] ?? []).map((r, j) => [...r, ...groups.slice(1).flatMap((g) => (g[j] ?? []).slice(2))]);
  const head = [title, "n", ...stacks.flatMap((st, i) => ["p50", "p90", "p99"].map((p) => (i === 0 && stacks.length === 1 ? p : `${p} ${short(st)}`)))];
  return table(head, rows);
}

const short = (st: Stack) => (st.name.startsWith("wrangler") ? "wd" : "mf");

async function main(): Promise<void> {
  const up = await startUpstreams();
  const stacks: Stack[] = [];
  try {
    if (!values["miniflare-only"]) stacks.push(await startStack("wrangler", up));
    if (!values["wrangler-only"]) stacks.push(await startStack("miniflare", up));
    const [wd] = stacks;
    if (!wd) throw new Error("no stack");
    const chat = `${wd.hearth}/v1/chat/completions`;
    const prompt = "Say hello in a few words.";

    // 1. Tunnel overhead, interleaved across variants and stacks.
    for (let i = 0; i < 20; i++) await overheadRound(up, stacks, prompt);
    const t: Record<Variant, Timing[]>[] = stacks.map(() => ({ direct: [], floor: [], bare: [], tunnel: [] }));
    for (let i = 0; i < N; i++) {
      const r = await overheadRound(up, stacks, prompt);
      r.per.forEach((p, k) => {
        t[k]?.direct.push(r.direct);
        t[k]?.floor.push(p.floor);
        if (!Number.isNaN(p.bare.total)) t[k]?.bare.push(p.bare);
        t[k]?.tunnel.push(p.tunnel);
      });
    }
    process.stdout.write(`\n1. Tunnel overhead, streaming, ${N} requests per variant, interleaved (ms)\n`);
    process.stdout.write(`   ${stacks.map((st) => `${short(st)} = ${st.name}`).join("; ")}\n\n`);
    process.stdout.write(overheadTable("time to first token", "ttft", stacks, t) + "\n\n");
    process.stdout.write(overheadTable("total time", "total", stacks, t) + "\n\n");

    // 2. Throughput: ~20,000 tokens as fast as the backend makes them.
    // Words in a pseudo-random order: a periodic text ("xxxx…") is what home's answer checks stop as a loop.
    let seed = 1;
    const WORDS = ["home", "model", "answer", "token", "stream", "cloud", "worker", "sidecar", "tunnel", "frame", "delta", "check"];
    const long = Array.from({ length: 13_000 }, () => WORDS[(seed = (seed * 48_271) % 2_147_483_647) % WORDS.length]).join(" ");
    const rates: Record<"direct" | "tunnel", number[]> = { direct: [], tunnel: [] };
    for (let i = 0; i < 5; i++) {
      const d = await direct(up.ollama, long);
      rates.direct.push(d.tokens / ((d.total - d.ttft) / 1000));
      const tu = await sse(chat, wd.users.home.apiKey, { model: `local/${MODEL}`, messages: [{ role: "user", content: long }] });
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
      await cloudCall(chat, wd.users.offline.apiKey);
      await cloudCall(chat, wd.users.cloudOnly.apiKey);
    }
    const f: Record<"offline" | "cloudOnly", number[]> = { offline: [], cloudOnly: [] };
    for (let i = 0; i < N; i++) {
      f.offline.push(await cloudCall(chat, wd.users.offline.apiKey));
      f.cloudOnly.push(await cloudCall(chat, wd.users.cloudOnly.apiKey));
    }
    const fo = summarize(f.offline);
    const co = summarize(f.cloudOnly);
    process.stdout.write(`3. Failover: cloud answer, non-streaming, ${N} requests per variant, interleaved (ms)\n\n`);
    process.stdout.write(table(["variant", "n", "p50", "p90", "p99"], [
      row("cloud_only (no home in the plan)", co),
      row("local_first, sidecar offline", fo),
      diff("offline − cloud_only", fo, co),
    ]) + "\n\n");
    process.stdout.write("Targets: tunnel − direct ≤ 2 ms at p50 (bare − direct is what the design costs before any of Hearth's code; tunnel − bare is Hearth's own); ≥ 20,000 tokens/s; offline − cloud_only ≤ 1 ms.\n");
  } finally {
    for (const b of backends.values()) await b.dispose();
    for (const st of stacks) await st.stop();
    up.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

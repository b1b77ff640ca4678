/**
 * `pnpm bench:profile-tunnel`: where the tunnel's milliseconds go, as CPU profiles rather than
 * timestamps (the Worker's clocks stand still while JavaScript runs, so only a sampling profiler sees
 * its CPU work). Hearth runs in Miniflare with the DevTools inspector on, the sidecar under Node's
 * inspector; both are profiled over the Chrome DevTools Protocol while streaming requests go through
 * the tunnel one after another, then self time is summed per function.
 *
 * Options: --requests N (default 300); --top N rows per table (default 25);
 * --out DIR to also write the .cpuprofile files (open them in Chrome DevTools → Performance).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startMiniflareWorker } from "../support/miniflare.js";
import { startSidecar } from "../support/sidecar.js";
import { cloudVars, freePort } from "../support/wrangler.js";
import { Cdp, bundleFiles, busy, inspectorTargets, profileReport, type CpuProfile, type FileOf } from "./cpu-profile.js";
import { summarize } from "./stats.js";
import { startUpstreams } from "./tunnel-stacks.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "300" },
    top: { type: "string", default: "25" },
    interval: { type: "string", default: "200" },
    out: { type: "string" },
  },
});
const N = Number(values.requests);
const TOP = Number(values.top);
const MODEL = "bench:latest";
/** Sampling interval (µs). Finer sampling slows workerd down a lot (50 µs triples the request time). */
const SAMPLING_US = Number(values.interval);
/** Hearth's own Durable Object code: a sample with one of these on its stack is the hub's work. */
const HUB_FILES = /^worker\/src\/(tunnel\/(hub|relay|sidecars)|learn\/)/;
const OWN_FILES = /^(worker|shared|sidecar)\/src\//;

interface Target {
  name: string;
  cdp: Cdp;
}

/** One streaming chat request through the tunnel; returns its time to first byte of content. */
async function tunnelRequest(url: string, key: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: `local/${MODEL}`, stream: true, messages: [{ role: "user", content: "Say hello in a few words." }] }),
  });
  if (!r.ok || !r.body) throw new Error(`tunnel: ${r.status} ${await r.text()}`);
  let ttft = 0;
  for await (const _ of r.body) if (!ttft) ttft = performance.now() - t0;
  return ttft;
}

async function main(): Promise<void> {
  const up = await startUpstreams();
  const workerdPort = await freePort();
  const hearth = await startMiniflareWorker({
    vars: { ...cloudVars({ url: up.openai }), HEARTH_AUTO_TARGETS: "openai/gpt-4o-mini" },
    rateLimitPerMinute: 1_000_000,
    inspectorPort: workerdPort,
  });
  const sidecarPort = await freePort();
  const cdps: Cdp[] = [];
  let sidecar: Awaited<ReturnType<typeof startSidecar>> | undefined;
  try {
    const home = await hearth.createUser("home");
    // The sidecar inherits this environment: its Node opens an inspector we can profile through.
    const before = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `${before ?? ""} --inspect=127.0.0.1:${sidecarPort}`.trim();
    try {
      sidecar = await startSidecar({ workerUrl: hearth.url, token: home.sidecarToken, apiKey: home.apiKey, ollama: up.ollama, args: ["--slots", "4", "--queue", "16"] });
    } finally {
      if (before === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = before;
    }
    for (let i = 0; i < 50; i++) await tunnelRequest(hearth.url, home.apiKey);

    const list: Target[] = [];
    for (const t of await inspectorTargets(workerdPort)) list.push({ name: `workerd ${t.title}`, cdp: await Cdp.connect(t.webSocketDebuggerUrl) });
    for (const t of await inspectorTargets(sidecarPort)) list.push({ name: "sidecar (node)", cdp: await Cdp.connect(t.webSocketDebuggerUrl) });
    cdps.push(...list.map((t) => t.cdp));
    for (const t of list) await t.cdp.start(SAMPLING_US);

    const ttfts: number[] = [];
    for (let i = 0; i < N; i++) ttfts.push(await tunnelRequest(hearth.url, home.apiKey));

    const profiles: { name: string; profile: CpuProfile }[] = await Promise.all(list.map(async (t) => ({ name: t.name, profile: await t.cdp.stop() })));
    const s = summarize(ttfts);
    process.stdout.write(`\n${N} streaming requests through the tunnel (Miniflare direct), sampled every ${SAMPLING_US} µs. TTFT p50 ${s.p50.toFixed(2)} ms, p90 ${s.p90.toFixed(2)} ms (profiling slows it down)\n\n`);
    const hearthFileOf = bundleFiles(await readFile(hearth.scriptPath, "utf8"), "index.js");
    const nodeFileOf: FileOf = (f) => (f.url ? f.url.replace(/^file:\/\//, "").replace(/^.*\/(node_modules\/)/, "$1").replace(/^\/work\/main\//, "") : undefined);
    for (const { name, profile } of profiles) {
      // Skip Miniflare's own helper Workers that did nothing.
      if (!busy(profile)) continue;
      const hearthScript = name.includes("core:user");
      const part = hearthScript ? (files: string[]) => (files.some((f) => HUB_FILES.test(f)) ? "Durable Object (SidecarHub)" : "Worker (and runtime glue)") : () => "all";
      process.stdout.write(profileReport(name, profile, hearthScript ? hearthFileOf : nodeFileOf, { requests: N, top: TOP, own: OWN_FILES, part }) + "\n");
    }
    if (values.out) {
      await mkdir(values.out, { recursive: true });
      for (const { name, profile } of profiles) await writeFile(join(values.out, `${name.replace(/[^\w.-]+/g, "_")}.cpuprofile`), JSON.stringify(profile));
      process.stdout.write(`profiles written to ${values.out}\n`);
    }
  } finally {
    for (const c of cdps) c.close();
    await sidecar?.stop("SIGTERM");
    await hearth.stop();
    up.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`profile failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

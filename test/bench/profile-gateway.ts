/**
 * `pnpm tsx test/bench/profile-gateway.ts`: where Hearth's Worker spends its CPU on a cloud request
 * (model `openai/gpt-4o-mini` against the zero-delay fake OpenAI in a separate process), as CPU
 * profiles of workerd taken over the DevTools protocol — one for non-streaming requests, one for
 * streaming ones. Hearth runs in Miniflare (the same workerd and bundle as wrangler dev, without its
 * proxy) so the bundle's lines map back to source files.
 *
 * Options: --requests N per mode (default 1000); --clients C concurrent senders (default 1:
 * sequential, as the bench's latency columns; 16 is the bench's throughput load); --top N rows
 * (default 25); --interval µs sampling (default 200); --modes plain,stream; --out DIR for the
 * .cpuprofile files (open them in Chrome DevTools → Performance).
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { startMiniflareWorker } from "../support/miniflare.js";
import { ROOT, cloudVars, freePort } from "../support/wrangler.js";
import { Cdp, bundleFiles, busy, inspectorTargets, profileReport } from "./cpu-profile.js";
import { GatewayClient } from "./gateway-client.js";
import { summarize } from "./stats.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "1000" },
    clients: { type: "string", default: "1" },
    top: { type: "string", default: "25" },
    interval: { type: "string", default: "200" },
    modes: { type: "string", default: "plain,stream" },
    out: { type: "string" },
  },
});
const N = Number(values.requests);
const CLIENTS = Number(values.clients);
/** Hearth's Durable Object code: a sample with one of these on its stack is the hub's work. */
const HUB_FILES = /^worker\/src\/(tunnel\/(hub|relay|sidecars)|learn\/)/;
const OWN_FILES = /^(worker|shared)\/src\//;

async function startUpstream(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test/fakes/serve.ts"), "--openai-port", String(port)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve) => child.stdout?.once("data", () => resolve()));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

/** N requests from C concurrent senders; returns their total times. */
async function drive(client: GatewayClient, stream: boolean, n: number, clients: number): Promise<number[]> {
  const times: number[] = [];
  let left = n;
  const sender = async () => {
    while (left-- > 0) times.push((await client.send(stream)).total);
  };
  await Promise.all(Array.from({ length: clients }, sender));
  return times;
}

async function main(): Promise<void> {
  const upstream = await startUpstream();
  const inspectorPort = await freePort();
  const hearth = await startMiniflareWorker({ vars: cloudVars(upstream), rateLimitPerMinute: 1_000_000, inspectorPort });
  const cdps: Cdp[] = [];
  try {
    const { apiKey } = await hearth.createUser("profile");
    const client = new GatewayClient({ name: "hearth", url: `${hearth.url}/v1/chat/completions`, headers: { authorization: `Bearer ${apiKey}` }, model: "openai/gpt-4o-mini" }, CLIENTS);
    // Warm-up: JIT, connection pools, the auth cache.
    await drive(client, false, 300, CLIENTS);
    await drive(client, true, 300, CLIENTS);
    const targets = await inspectorTargets(inspectorPort);
    for (const t of targets) cdps.push(await Cdp.connect(t.webSocketDebuggerUrl));
    const fileOf = bundleFiles(await readFile(hearth.scriptPath, "utf8"), basename(hearth.scriptPath));
    const sampling = Number(values.interval);
    for (const mode of values.modes.split(",")) {
      const stream = mode === "stream";
      await Promise.all(cdps.map((c) => c.start(sampling)));
      const times = await drive(client, stream, N, CLIENTS);
      const profiles = await Promise.all(cdps.map((c) => c.stop()));
      const s = summarize(times);
      process.stdout.write(
        `\n=== ${stream ? "streaming" : "non-streaming"}: ${N} requests, ${CLIENTS} client(s), sampled every ${sampling} µs; ` +
          `request p50 ${s.p50.toFixed(2)} ms, p90 ${s.p90.toFixed(2)} ms (profiling slows it)\n\n`,
      );
      for (const [i, profile] of profiles.entries()) {
        const title = targets[i]?.title ?? String(i);
        if (!busy(profile)) continue;
        const part = (files: string[]) => (files.some((f) => HUB_FILES.test(f)) ? "Durable Object (SidecarHub)" : "Worker (and runtime glue)");
        process.stdout.write(profileReport(`workerd ${title}`, profile, fileOf, { requests: N, top: Number(values.top), own: OWN_FILES, part }) + "\n");
        if (values.out) {
          await mkdir(values.out, { recursive: true });
          await writeFile(join(values.out, `${mode}-${title.replace(/[^\w.-]+/g, "_")}.cpuprofile`), JSON.stringify(profile));
        }
      }
    }
    client.close();
  } finally {
    for (const c of cdps) c.close();
    upstream.stop();
    await hearth.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`profile failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

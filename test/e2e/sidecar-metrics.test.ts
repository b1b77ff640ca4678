/**
 * The sidecar's --metrics endpoint end to end: real `wrangler dev`, the real sidecar CLI on the tiny
 * GGUF (llama.cpp, also offered for embeddings by its tag), metrics asked for in the config file.
 * /metrics is read with a real Prometheus text parser before and after a chat and an embedding request
 * through the Worker: the counters and histograms moved by exactly what was served, the model loads
 * were counted and timed, the tunnel shows connected, a Worker restart shows as a disconnect and
 * reconnects, and the endpoint goes away when the sidecar stops. A public address is refused before anything starts.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTinyModel } from "../../scripts/lib/tiny-gguf.js";
import { histogram, sample, scrape, valueOf } from "../support/prometheus.js";
import { localModels, startSidecar, waitFor, type SidecarProcess } from "../support/sidecar.js";
import { stopSidecar } from "../support/sidecars.js";
import { freePort, ROOT, startWorker, type RunningWorker } from "../support/wrangler.js";

const MODEL = "hearth-tiny";

let worker: RunningWorker;
let sidecar: SidecarProcess;
let dir: string;
let metricsUrl: string;
let user: Awaited<ReturnType<RunningWorker["createUser"]>>;

const post = (path: string, body: object) =>
  fetch(`${worker.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${user.apiKey}`, "content-type": "application/json" }, body: JSON.stringify(body) });

beforeAll(async () => {
  worker = await startWorker();
  user = await worker.createUser("metrics");
  dir = await mkdtemp(join(tmpdir(), "hearth-metrics-e2e-"));
  await ensureTinyModel(dir);
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const config = join(dir, "sidecar.yaml");
  await writeFile(config, `metrics: "127.0.0.1:${port}"\ntags:\n  ${MODEL}: [embeddings]\n`);
  sidecar = await startSidecar({ workerUrl: worker.url, token: user.sidecarToken, apiKey: user.apiKey, models: [dir], args: ["--config", config, "--slots", "2", "--drain-seconds", "2"] });
});

afterAll(async () => {
  if (sidecar) await stopSidecar(sidecar);
  await worker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("GET /metrics on the sidecar", () => {
  it("moves by what was served: a chat and an embedding request through the Worker", async () => {
    const before = await scrape(metricsUrl);
    expect(valueOf(before, "hearth_sidecar_tunnel_connected")).toBe(1);
    expect(valueOf(before, "hearth_sidecar_tunnel_reconnects_total")).toBe(0);
    expect(valueOf(before, "hearth_sidecar_slots")).toBe(2);
    expect(sample(before, "hearth_sidecar_info").labels).toMatchObject({ protocol: "1" });
    expect(before.get("hearth_sidecar_requests_total")?.metrics ?? []).toEqual([]);
    expect(before.get("hearth_sidecar_model_loads_total")?.metrics ?? []).toEqual([]);

    const chat = await post("/v1/chat/completions", { model: `local/${MODEL}`, messages: [{ role: "user", content: "Hello" }], max_tokens: 8, temperature: 0 });
    expect(chat.status).toBe(200);
    expect(((await chat.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(8);
    const embed = await post("/v1/embeddings", { model: `local/${MODEL}`, input: ["one", "two"] });
    expect(embed.status).toBe(200);

    const after = await scrape(metricsUrl);
    const labels = { model: MODEL, backend: "llama-cpp" };
    expect(valueOf(after, "hearth_sidecar_requests_total", { ...labels, outcome: "ok" })).toBe(1);
    expect(after.get("hearth_sidecar_requests_total")?.metrics).toHaveLength(1);
    expect(valueOf(after, "hearth_sidecar_embedding_requests_total", { ...labels, outcome: "ok" })).toBe(1);
    expect(valueOf(after, "hearth_sidecar_embedding_inputs_total", { model: MODEL })).toBe(2);
    expect(valueOf(after, "hearth_sidecar_tokens_total", { model: MODEL, kind: "completion" })).toBe(8);

    const ttft = histogram(after, "hearth_sidecar_time_to_first_token_seconds", { model: MODEL });
    expect(ttft.count).toBe(1);
    expect(ttft.sum).toBeGreaterThan(0);
    // Includes the model's first load; still far inside the top bucket here.
    expect(ttft.buckets.get("30")).toBe(1);
    expect(ttft.buckets.get("+Inf")).toBe(1);
    const speed = histogram(after, "hearth_sidecar_tokens_per_second", { model: MODEL });
    expect(speed.count).toBe(1);
    expect(speed.sum).toBeGreaterThan(0);

    // Loaded twice: once to chat, once as an embedder (llama.cpp's contexts differ).
    expect(valueOf(after, "hearth_sidecar_model_loads_total", { ...labels, result: "ok" })).toBe(2);
    expect(histogram(after, "hearth_sidecar_model_load_seconds", labels).count).toBe(2);

    expect(valueOf(after, "hearth_sidecar_slots_in_use", { model: MODEL })).toBe(0);
    expect(valueOf(after, "hearth_sidecar_queue_length", { model: MODEL })).toBe(0);
    expect(valueOf(after, "hearth_sidecar_tunnel_connected")).toBe(1);
    expect(valueOf(after, "hearth_sidecar_uptime_seconds")).toBeGreaterThan(valueOf(before, "hearth_sidecar_uptime_seconds"));
    expect(after.get("process_resident_memory_bytes")?.type).toBe("GAUGE");
    expect(after.get("hearth_sidecar_time_to_first_token_seconds")?.type).toBe("HISTOGRAM");
  });

  it("counts the tunnel dropping and coming back when the Worker restarts (a deploy)", async () => {
    await worker.restart();
    await waitFor(async () => valueOf(await scrape(metricsUrl), "hearth_sidecar_tunnel_connected") === 1 && (await localModels(worker.url, user.apiKey)).length > 0, 30_000, "the sidecar to reconnect");
    const s = await scrape(metricsUrl);
    expect(valueOf(s, "hearth_sidecar_tunnel_disconnects_total")).toBe(1);
    expect(valueOf(s, "hearth_sidecar_tunnel_reconnects_total")).toBeGreaterThanOrEqual(1);
  });

  it("goes away when the sidecar stops", async () => {
    expect(await sidecar.stop("SIGTERM")).toBe(0);
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });
});

describe("--metrics on an address other machines can reach", () => {
  it("is refused with the reason, exit 2, before anything starts", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "sidecar/src/cli.ts"), "--url", worker.url, "--token", user.sidecarToken, "--models", dir, "--metrics", `0.0.0.0:${port}`], {
      cwd: ROOT,
      // No developer's ~/.config/hearth/sidecar.yaml: only these flags.
      env: { ...process.env, XDG_CONFIG_HOME: join(ROOT, ".hearth", "no-config") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code).toBe(2);
    expect(output).toContain("no authentication");
    expect(output).toContain("metricsAllowRemote");
  });
});

/**
 * A deploy, as a running sidecar sees it: `wrangler dev` stops and starts again on the same port with
 * the same state, every socket drops, and the sidecar (the real CLI, left running) must dial back in
 * by itself and serve again. Its own file: the restart would disturb every other case's sidecar.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeServer } from "../fakes/harness.js";
import { startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { traceOf } from "../support/chat.js";
import { localModels, startSidecar, waitFor, type SidecarProcess } from "../support/sidecar.js";
import { stopSidecar } from "../support/sidecars.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

let openai: FakeServer;
let ollama: FakeOllama;
let worker: RunningWorker;
let sidecar: SidecarProcess;
let user: Awaited<ReturnType<RunningWorker["createUser"]>>;

const ask = (content: string) => ({ model: "auto", messages: [{ role: "user" as const, content }] });

beforeAll(async () => {
  [openai, ollama] = await Promise.all([startFakeOpenAI(), startFakeOllama({ models: [{ name: "phoenix" }] })]);
  worker = await startWorker({ vars: { ...cloudVars(openai), HEARTH_AUTO_TARGETS: "openai/gpt-4o-mini" } });
  user = await worker.createUser("phoenix");
  sidecar = await startSidecar({ workerUrl: worker.url, token: user.sidecarToken, apiKey: user.apiKey, ollama: ollama.url, args: ["--drain-seconds", "1"] });
}, 90_000);

afterAll(async () => {
  if (sidecar) await stopSidecar(sidecar);
  await worker?.stop();
  await Promise.all([openai?.close(), ollama?.close()]);
});

describe("after the Worker restarts", () => {
  it("the running sidecar reconnects by itself and serves again", async () => {
    const client = new OpenAI({ apiKey: user.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
    const before = await client.chat.completions.create(ask("before")).withResponse();
    expect(before.response.headers.get("x-hearth-target")).toBe("local/phoenix:latest");
    const pid = sidecar.child.pid;

    await worker.restart();
    // Reconnects back off (0.5 s doubling, jittered) while the Worker is down; allow a few rounds.
    await waitFor(async () => (await localModels(worker.url, user.apiKey)).includes("local/phoenix:latest"), 30_000, "the sidecar's models to come back");
    expect(sidecar.child.exitCode).toBeNull();
    expect(sidecar.child.pid).toBe(pid);

    const { data, response } = await client.chat.completions.create(ask("after")).withResponse();
    expect(data.choices[0]?.message.content).toBe("Echo: after");
    expect(response.headers.get("x-hearth-target")).toBe("local/phoenix:latest");
    expect(traceOf(response.headers)).toEqual([["local/phoenix:latest", "served", "ok"]]);
    expect(openai.requests).toHaveLength(0);
    expect(ollama.requests.filter((r) => r.path === "/api/chat")).toHaveLength(2);
  }, 90_000);
});

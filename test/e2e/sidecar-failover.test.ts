/**
 * Home going away and coming back, end to end: real `wrangler dev`, the real sidecar CLI as a child
 * process, the fake Ollama behind it, the official `openai` client (raw fetch where the SSE wire is
 * the point). A sidecar killed mid-stream, the circuit breaker opening and closing, a sidecar that
 * drains on SIGTERM, and one whose state after a model load is checked.
 *
 * One sidecar per user, each with its own fake Ollama, so no case sees another's requests.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FakeServer } from "../fakes/harness.js";
import { chatRequests, startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { postChat, readRest, readUntil, sseChunks, sseData, streamText, traceOf } from "../support/chat.js";
import { killTree } from "../support/process-tree.js";
import { localModels, waitFor, type SidecarProcess } from "../support/sidecar.js";
import { startSidecars, stopSidecar } from "../support/sidecars.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

const OPENAI = "openai/gpt-4o-mini";
const BREAKER_FAILURES = 2;
const BREAKER_COOLDOWN_MS = 1_500;

type User = Awaited<ReturnType<RunningWorker["createUser"]>>;
type Name = "killed" | "flaky" | "draining" | "cold";

let openai: FakeServer;
let worker: RunningWorker;
const users = {} as Record<Name, User>;
const ollamas = {} as Record<Name, FakeOllama>;
const sidecars = {} as Record<Name, SidecarProcess>;

const clientOf = (u: User) => new OpenAI({ apiKey: u.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
const ask = (content: string) => ({ model: "auto", messages: [{ role: "user" as const, content }] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const names: Name[] = ["killed", "flaky", "draining", "cold"];
  const [fakeOpenAI, ...fakeOllamas] = await Promise.all([
    startFakeOpenAI(),
    startFakeOllama({ models: [{ name: "killed", chunkDelayMs: 150 }] }),
    startFakeOllama({ models: [{ name: "flaky" }] }),
    startFakeOllama({ models: [{ name: "draining", chunkDelayMs: 100 }] }),
    startFakeOllama({ models: [{ name: "cold", loadMs: 1_500, chunkDelayMs: 150 }] }),
  ]);
  openai = fakeOpenAI;
  names.forEach((n, i) => (ollamas[n] = fakeOllamas[i] as FakeOllama));
  // Loaded before its sidecar starts, so a slow chat there reads as slow, not as loading.
  ollamas.flaky.loaded.set("flaky:latest", Date.now() + 600_000);
  worker = await startWorker({
    vars: {
      ...cloudVars(openai),
      HEARTH_AUTO_TARGETS: OPENAI,
      HEARTH_RETRY_BASE_MS: "20",
      HEARTH_BREAKER_FAILURES: String(BREAKER_FAILURES),
      HEARTH_BREAKER_COOLDOWN_MS: String(BREAKER_COOLDOWN_MS),
    },
  });
  const created = await Promise.all(names.map((n) => worker.createUser(n)));
  names.forEach((n, i) => (users[n] = created[i] as User));
  const args: Record<Name, string[]> = {
    killed: ["--drain-seconds", "1"],
    flaky: ["--drain-seconds", "1"],
    draining: ["--drain-seconds", "20"],
    cold: ["--slots", "2", "--queue", "0", "--drain-seconds", "1"],
  };
  const started = await startSidecars(
    names.map((n) => ({ workerUrl: worker.url, token: users[n].sidecarToken, apiKey: users[n].apiKey, ollama: ollamas[n].url, args: args[n] })),
  );
  names.forEach((n, i) => (sidecars[n] = started[i] as SidecarProcess));
}, 90_000);

afterAll(async () => {
  await Promise.all(Object.values(sidecars).map((s) => stopSidecar(s)));
  await worker?.stop();
  await Promise.all([openai?.close(), ...Object.values(ollamas).map((o) => o.close())]);
});

beforeEach(() => openai.reset());

describe("a sidecar killed mid-stream", () => {
  it("ends the committed stream with a stream_interrupted error event and no [DONE]", async () => {
    const { killed } = users;
    const r = await postChat(worker.url, killed.apiKey, { ...ask("a long answer that will not finish ".repeat(3)), stream: true });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-hearth-target")).toBe("local/killed:latest");
    const { text: head, reader } = await readUntil(r, (t) => t.includes('"content":"Echo'));
    const pid = sidecars.killed.child.pid;
    if (!pid) throw new Error("the sidecar has no pid");
    killTree(pid, "SIGKILL"); // the sidecar itself, not only its tsx wrapper

    const wire = head + (await readRest(reader));
    const events = sseData(wire);
    expect(events.at(-1)).toContain('"code":"stream_interrupted"');
    expect(wire).not.toContain("[DONE]");
    expect(streamText(sseChunks(wire)).length).toBeLessThan(`Echo: ${"a long answer that will not finish ".repeat(3)}`.length);
    expect(openai.requests).toHaveLength(0); // committed: no fallback after content

    // Gone from the Worker's view, so the next request does not wait for it.
    await waitFor(async () => (await localModels(worker.url, killed.apiKey)).length === 0, 5_000, "the killed sidecar's models to disappear");
    const { response } = await clientOf(killed).chat.completions.create(ask("still there?")).withResponse();
    expect(traceOf(response.headers)).toEqual([
      ["local", "skipped", "offline"],
      [OPENAI, "served", "ok"],
    ]);
  });
});

describe("the circuit breaker", () => {
  it(`opens after ${BREAKER_FAILURES} failures, skips home through the cool-down, then one probe closes it`, async () => {
    const { flaky } = users;
    const client = clientOf(flaky);
    const ollama = ollamas.flaky;
    ollama.enqueueChat({ type: "status", status: 500 }, { type: "status", status: 500 });
    for (const n of [1, 2]) {
      const { data, response } = await client.chat.completions.create(ask(`failing ${n}`)).withResponse();
      expect(data.choices[0]?.message.content).toBe(`Echo: failing ${n}`);
      expect(response.headers.get("x-hearth-attempts")).toBe("2");
      expect(traceOf(response.headers)).toEqual([
        ["local/flaky:latest", "failed", "error"],
        [OPENAI, "served", "ok"],
      ]);
    }
    const openedAt = Date.now();
    expect(chatRequests(ollama)).toHaveLength(2);

    // Open: home is passed over without being called, at once.
    const started = Date.now();
    const { response: skipped } = await client.chat.completions.create(ask("breaker open")).withResponse();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(skipped.headers.get("x-hearth-attempts")).toBe("1");
    expect(traceOf(skipped.headers)).toEqual([
      ["local", "skipped", "breaker_open"],
      [OPENAI, "served", "ok"],
    ]);
    expect(chatRequests(ollama)).toHaveLength(2);

    // After the cool-down (Ollama healthy again): one probe goes home. While it is out (Ollama takes 1 s
    // to its first token), nothing else is let through.
    await sleep(Math.max(0, openedAt + BREAKER_COOLDOWN_MS + 200 - Date.now()));
    ollama.enqueueChat({ type: "delay", ms: 1_000 });
    const probe = client.chat.completions.create(ask("probe")).withResponse();
    await waitFor(async () => chatRequests(ollama).length === 3, 5_000, "the probe to reach Ollama");
    const { response: besideProbe } = await client.chat.completions.create(ask("beside the probe")).withResponse();
    expect(traceOf(besideProbe.headers)).toEqual([
      ["local", "skipped", "breaker_open"],
      [OPENAI, "served", "ok"],
    ]);
    const { data: probed, response: probeResponse } = await probe;
    expect(probeResponse.headers.get("x-hearth-target")).toBe("local/flaky:latest");
    expect(probed.choices[0]?.message.content).toBe("Echo: probe");

    // Closed again: home serves.
    const { data, response } = await client.chat.completions.create(ask("home again")).withResponse();
    expect(response.headers.get("x-hearth-target")).toBe("local/flaky:latest");
    expect(traceOf(response.headers)).toEqual([["local/flaky:latest", "served", "ok"]]);
    expect(data.choices[0]?.message.content).toBe("Echo: home again");
    expect(chatRequests(ollama)).toHaveLength(4);
  });
});

describe("SIGTERM", () => {
  it("drains: the running request completes, new ones go to the cloud, the process exits 0", async () => {
    const { draining } = users;
    const prompt = "finish this even while stopping ".repeat(3); // ~2.5 s at home
    const r = await postChat(worker.url, draining.apiKey, { ...ask(prompt), stream: true });
    expect(r.headers.get("x-hearth-target")).toBe("local/draining:latest");
    const { text: head, reader } = await readUntil(r, (t) => t.includes('"content":"Echo'));

    const exited = sidecars.draining.stop("SIGTERM", 20_000);
    // From this line on the sidecar takes no new work (it says so before it starts draining).
    await waitFor(async () => sidecars.draining.output().includes("stopping: draining"), 5_000, "the sidecar to start draining");
    const { data, response } = await clientOf(draining).chat.completions.create(ask("meanwhile")).withResponse();
    expect(data.choices[0]?.message.content).toBe("Echo: meanwhile");
    expect(response.headers.get("x-hearth-target")).toBe(OPENAI);
    const [home, cloud] = traceOf(response.headers);
    expect(home?.[0]).toBe("local");
    expect(["draining", "offline"]).toContain(home?.[2]);
    expect(cloud).toEqual([OPENAI, "served", "ok"]);
    expect(chatRequests(ollamas.draining)).toHaveLength(1);

    const wire = head + (await readRest(reader));
    expect(sseData(wire).at(-1)).toBe("[DONE]");
    expect(streamText(sseChunks(wire))).toBe(`Echo: ${prompt}`);
    expect(await exited).toBe(0);
    expect(chatRequests(ollamas.draining)[0]?.aborted).toBe(false);
  });
});

describe("the sidecar's reported state", () => {
  it("stops saying 'loading' once the model has loaded, even while that first answer is still streaming", async () => {
    const { cold } = users;
    const prompt = "a long first answer from a cold model ".repeat(3); // ~4 s of streaming after the load
    const r = await postChat(worker.url, cold.apiKey, { ...ask(prompt), stream: true });
    expect(r.headers.get("x-hearth-target")).toBe("local/cold:latest");
    const { text: head, reader } = await readUntil(r, (t) => t.includes('"content":"Echo'));
    // Loaded now. Give the sidecar's state (debounced 200 ms) a second to reach the Worker.
    await sleep(1_000);

    // A second slot is free and the model is loaded: home should take it.
    const { data, response } = await clientOf(cold).chat.completions.create(ask("second")).withResponse();
    expect(traceOf(response.headers)).toEqual([["local/cold:latest", "served", "ok"]]);
    expect(data.choices[0]?.message.content).toBe("Echo: second");
    const wire = head + (await readRest(reader));
    expect(streamText(sseChunks(wire))).toBe(`Echo: ${prompt}`);
  });
});

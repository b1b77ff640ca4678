/**
 * Why home was passed over, end to end: real `wrangler dev`, the real sidecar CLI dialling in, the
 * fake Ollama behind it (whose timing and faults the test controls), both cloud fakes, the official
 * `openai` client. Each reason — offline, loading, overloaded, timeout, error — must show in
 * x-hearth-trace, with x-hearth-attempts counting only the calls really made, and a streaming client
 * must never see a failover that happened before the first content.
 *
 * One sidecar per user, each with its own fake Ollama:
 *   nobody    no sidecar
 *   single    Ollama "slowpoke" (slow first load), 1 slot, no queue
 *   home      Ollama "echo", 8 slots + 8 queued
 */
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic } from "../fakes/anthropic.js";
import type { FakeServer } from "../fakes/harness.js";
import { chatRequests, lastUserText, startFakeOllama, type FakeOllama, type FakeOllamaModel } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { postChat, readRest, readUntil, sseChunks, sseData, streamText, traceOf } from "../support/chat.js";
import { waitFor, type SidecarProcess } from "../support/sidecar.js";
import { startSidecars, stopSidecar } from "../support/sidecars.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

const OPENAI = "openai/gpt-4o-mini";
const ANTHROPIC = "anthropic/claude-x";

type User = Awaited<ReturnType<RunningWorker["createUser"]>>;

let openai: FakeServer;
let anthropic: FakeAnthropic;
let worker: RunningWorker;
const users = {} as Record<"nobody" | "single" | "home", User>;
let homeOllama: FakeOllama;
let singleOllama: FakeOllama;
let sidecars: SidecarProcess[] = [];

/** The fake copies the models it is given: this reads the live one, whose timing a case may change. */
const slowpoke = (): FakeOllamaModel => singleOllama.models[0] as FakeOllamaModel;

const clientOf = (u: User) => new OpenAI({ apiKey: u.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
const ask = (content: string) => ({ model: "auto", messages: [{ role: "user" as const, content }] });

async function setPolicy(u: User, policy: object): Promise<void> {
  const r = await worker.admin("PUT", `/users/${u.id}/policy`, policy);
  if (r.status !== 200) throw new Error(`set policy: ${r.status} ${await r.text()}`);
}

beforeAll(async () => {
  [openai, anthropic, homeOllama, singleOllama] = await Promise.all([
    startFakeOpenAI(),
    startFakeAnthropic(),
    startFakeOllama({ models: [{ name: "echo" }] }),
    // Its first chat waits, as Ollama's does while it loads a model.
    startFakeOllama({ models: [{ name: "slowpoke", loadMs: 4_000 }] }),
  ]);
  // Loaded before its sidecar starts (as a warm Ollama's model is), so a chat that hangs or fails there
  // reads as slow or broken, not as loading.
  homeOllama.loaded.set("echo:latest", Date.now() + 600_000);
  worker = await startWorker({
    vars: {
      ...cloudVars(openai, anthropic),
      HEARTH_AUTO_TARGETS: `${OPENAI},${ANTHROPIC}`,
      HEARTH_RETRY_BASE_MS: "20",
      // The breaker has its own file; here the timeout and error cases must not open it for the next ones.
      HEARTH_BREAKER_FAILURES: "1000",
    },
  });
  const names = ["nobody", "single", "home"] as const;
  const created = await Promise.all(names.map((n) => worker.createUser(n)));
  names.forEach((n, i) => (users[n] = created[i] as User));
  sidecars = await startSidecars([
    { workerUrl: worker.url, token: users.single.sidecarToken, apiKey: users.single.apiKey, ollama: singleOllama.url, args: ["--slots", "1", "--queue", "0", "--drain-seconds", "2"] },
    { workerUrl: worker.url, token: users.home.sidecarToken, apiKey: users.home.apiKey, ollama: homeOllama.url, args: ["--slots", "8", "--queue", "8", "--drain-seconds", "2"] },
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all(sidecars.map((s) => stopSidecar(s)));
  await worker?.stop();
  await Promise.all([openai?.close(), anthropic?.close(), homeOllama?.close(), singleOllama?.close()]);
});

beforeEach(() => {
  openai.reset();
  anthropic.reset();
});

describe("falling back from home to the cloud, with the reason", () => {
  it("offline: no sidecar connected, the cloud serves at once and only its call counts", async () => {
    const client = clientOf(users.nobody);
    const started = Date.now();
    const { data, response } = await client.chat.completions.create(ask("anyone home?")).withResponse();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(data.choices[0]?.message.content).toBe("Echo: anyone home?");
    expect(response.headers.get("x-hearth-target")).toBe(OPENAI);
    expect(response.headers.get("x-hearth-attempts")).toBe("1");
    expect(traceOf(response.headers)).toEqual([
      ["local", "skipped", "offline"],
      [OPENAI, "served", "ok"],
    ]);
  });

  it("loading: while the home model loads, the next request goes to the cloud without reaching home", async () => {
    const client = clientOf(users.single);
    const first = client.chat.completions.create(ask("wake up")).withResponse();
    await waitFor(async () => chatRequests(singleOllama).length === 1, 10_000, "the first chat to reach Ollama");
    // The sidecar says "loading" in its next state frame (debounced ~200 ms). Until the hub has it, a
    // second request is refused as overloaded (1 slot, no queue): neither reaches home, so poll.
    let trace: [string, string, string][] = [];
    const until = Date.now() + 3_000;
    do {
      const started = Date.now();
      const { data, response } = await client.chat.completions.create(ask("meanwhile")).withResponse();
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(data.choices[0]?.message.content).toBe("Echo: meanwhile");
      expect(response.headers.get("x-hearth-attempts")).toBe("1");
      trace = traceOf(response.headers);
    } while (trace[0]?.[2] === "overloaded" && Date.now() < until);
    expect(trace).toEqual([
      ["local", "skipped", "loading"],
      [OPENAI, "served", "ok"],
    ]);
    expect(chatRequests(singleOllama)).toHaveLength(1);

    const { data, response } = await first;
    expect(response.headers.get("x-hearth-target")).toBe("local/slowpoke:latest");
    expect(data.choices[0]?.message.content).toBe("Echo: wake up");
    // The sidecar reports the load over once the request ends (its state frames are debounced): from
    // then on home serves again.
    let served: string | null = null;
    await waitFor(
      async () => {
        const { response: probe } = await client.chat.completions.create(ask("loaded now?")).withResponse();
        served = probe.headers.get("x-hearth-target");
        return served !== OPENAI;
      },
      3_000,
      "home to serve again after the load",
    );
    expect(served).toBe("local/slowpoke:latest");
  });

  it("overloaded: with the only slot busy, the next request goes to the cloud at once", async () => {
    slowpoke().chunkDelayMs = 150; // its answer below takes ~2 s
    try {
      const prompt = "a slow answer, please ".repeat(2);
      const running = await postChat(worker.url, users.single.apiKey, { ...ask(prompt), stream: true });
      expect(running.headers.get("x-hearth-target")).toBe("local/slowpoke:latest");
      const { text: head, reader } = await readUntil(running, (t) => t.includes('"content":"Echo'));
      const chats = chatRequests(singleOllama).length;

      const started = Date.now();
      const { data, response } = await clientOf(users.single).chat.completions.create(ask("me too")).withResponse();
      // Home's first-token deadline is 10 s: an answer well inside it did not wait for home.
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(data.choices[0]?.message.content).toBe("Echo: me too");
      expect(response.headers.get("x-hearth-attempts")).toBe("1");
      expect(traceOf(response.headers)).toEqual([
        ["local", "skipped", "overloaded"],
        [OPENAI, "served", "ok"],
      ]);
      expect(chatRequests(singleOllama)).toHaveLength(chats);

      // The request holding the slot is untouched by the refusal beside it.
      const wire = head + (await readRest(reader));
      expect(sseData(wire).at(-1)).toBe("[DONE]");
      expect(streamText(sseChunks(wire))).toBe(`Echo: ${prompt}`);
    } finally {
      slowpoke().chunkDelayMs = 0;
    }
  });

  describe("with a first-token deadline of 800 ms", () => {
    beforeAll(() => setPolicy(users.home, { localFirstTokenMs: 800 }));
    afterAll(() => setPolicy(users.home, {}));

    it("timeout: home that does not start in time is cancelled there, and the cloud serves", async () => {
      homeOllama.enqueueChat({ type: "hang" });
      const started = Date.now();
      const { data, response } = await clientOf(users.home).chat.completions.create(ask("too slow")).withResponse();
      const elapsed = Date.now() - started;
      expect(data.choices[0]?.message.content).toBe("Echo: too slow");
      expect(response.headers.get("x-hearth-target")).toBe(OPENAI);
      expect(response.headers.get("x-hearth-attempts")).toBe("2");
      expect(traceOf(response.headers)).toEqual([
        ["local/echo:latest", "failed", "timeout"],
        [OPENAI, "served", "ok"],
      ]);
      expect(elapsed).toBeGreaterThanOrEqual(750);
      expect(elapsed).toBeLessThan(800 + 5_000);
      const hung = chatRequests(homeOllama).at(-1);
      expect(hung && lastUserText(hung)).toBe("too slow");
      await waitFor(async () => hung?.aborted === true, 5_000, "Ollama to see the home request cancelled");
    });

    it("timeout while streaming: the client gets one clean cloud stream", async () => {
      homeOllama.enqueueChat({ type: "hang" });
      const { data: stream, response } = await clientOf(users.home)
        .chat.completions.create({ ...ask("stream after all"), stream: true })
        .withResponse();
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("Echo: stream after all");
      // Home sent its opening (role) chunk before it hung; none of it reaches the client.
      expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
      expect(chunks[0]?.id).toMatch(/^chatcmpl-fake/);
      expect(chunks.filter((c) => c.choices[0]?.delta.role !== undefined)).toHaveLength(1);
      expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(["stop"]);
      expect(response.headers.get("x-hearth-target")).toBe(OPENAI);
      expect(traceOf(response.headers)).toEqual([
        ["local/echo:latest", "failed", "timeout"],
        [OPENAI, "served", "ok"],
      ]);
      const hung = chatRequests(homeOllama).at(-1);
      await waitFor(async () => hung?.aborted === true, 5_000, "Ollama to see the home request cancelled");
    });
  });

  it("error: Ollama answers 500, the cloud serves", async () => {
    homeOllama.enqueueChat({ type: "status", status: 500 });
    const before = chatRequests(homeOllama).length;
    const { data, response } = await clientOf(users.home).chat.completions.create(ask("broken home")).withResponse();
    expect(data.choices[0]?.message.content).toBe("Echo: broken home");
    expect(response.headers.get("x-hearth-target")).toBe(OPENAI);
    expect(response.headers.get("x-hearth-attempts")).toBe("2");
    expect(traceOf(response.headers)).toEqual([
      ["local/echo:latest", "failed", "error"],
      [OPENAI, "served", "ok"],
    ]);
    expect(chatRequests(homeOllama)).toHaveLength(before + 1); // home is not retried
  });
});

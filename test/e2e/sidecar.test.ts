/**
 * Home first, end to end: real `wrangler dev`, the real sidecar CLI as a child process dialling in
 * over its WebSocket, and behind it either real node-llama-cpp on the tiny GGUF or the fake Ollama
 * (whose timing and faults the test controls). The official `openai` client is the caller; raw fetch
 * where the wire format itself is the point. Asserted: status, body, which target served, the trace of
 * reasons, how many upstream calls, and what reached (or never reached) the home backend.
 *
 * One sidecar per user, each with its own fake Ollama, so no case sees another's requests:
 *   gguf      llama.cpp, hearth-tiny.gguf
 *   home      Ollama "echo", 8 slots + 8 queued
 *   single    Ollama "slowpoke" (slow first load), 1 slot, no queue
 *   revokee   Ollama "spare", whose sidecar token is revoked
 *   nobody    no sidecar
 *   homebody  no sidecar, policy local_only
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import WebSocket from "ws";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic } from "../fakes/anthropic.js";
import type { FakeServer, RecordedRequest } from "../fakes/harness.js";
import { startFakeOllama, type FakeOllama, type FakeOllamaModel } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { postChat, readUntil, sseChunks, sseData, streamText, traceOf } from "../support/chat.js";
import { killTree } from "../support/process-tree.js";
import { localModels, startSidecar, waitFor, type SidecarProcess } from "../support/sidecar.js";
import { ensureTinyModel } from "../support/tiny-gguf.js";
import { startWorker, type RunningWorker } from "../support/wrangler.js";

const OPENAI = "openai/gpt-4o-mini";
const ANTHROPIC = "anthropic/claude-x";

type User = Awaited<ReturnType<RunningWorker["createUser"]>>;

interface ErrorJson {
  error: { code: string; hearth: boolean; attempts?: { target: string; outcome: string; reason: string }[] };
}

let openai: FakeServer;
let anthropic: FakeAnthropic;
let worker: RunningWorker;
let modelDir: string;
const users: Record<"gguf" | "home" | "single" | "revokee" | "nobody" | "homebody", User> = {} as never;
let homeOllama: FakeOllama;
let singleOllama: FakeOllama;
let spareOllama: FakeOllama;
let revokeeSidecar: SidecarProcess;
const sidecars: SidecarProcess[] = [];

/** The fakes copy the models they are given: these read the live ones, whose timing a case may change. */
const echo = (): FakeOllamaModel => homeOllama.models[0] as FakeOllamaModel;
const slowpoke = (): FakeOllamaModel => singleOllama.models[0] as FakeOllamaModel;

const clientOf = (u: User) => new OpenAI({ apiKey: u.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
const chatsOf = (o: FakeOllama): RecordedRequest[] => o.requests.filter((r) => r.path === "/api/chat");
const lastUserText = (r: RecordedRequest) => ((r.body as { messages: { content: string }[] }).messages.at(-1)?.content ?? "");
const ask = (content: string) => ({ model: "auto", messages: [{ role: "user" as const, content }] });
const cloudCalls = () => openai.requests.length + anthropic.requests.length;

async function setPolicy(u: User, policy: object): Promise<void> {
  const r = await worker.admin("PUT", `/users/${u.id}/policy`, policy);
  if (r.status !== 200) throw new Error(`set policy: ${r.status} ${await r.text()}`);
}

/** Opens the sidecar WebSocket by hand; resolves with the upgrade's status (101 when it opened). */
function upgrade(token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${worker.url.replace(/^http/, "ws")}/v1/sidecar/connect`, { headers: { authorization: `Bearer ${token}` } });
    ws.on("open", () => {
      ws.close();
      resolve({ status: 101, body: "" });
    });
    ws.on("unexpected-response", (req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, body });
        req.destroy();
      });
    });
    ws.on("error", reject);
  });
}

beforeAll(async () => {
  [openai, anthropic, homeOllama, singleOllama, spareOllama] = await Promise.all([
    startFakeOpenAI(),
    startFakeAnthropic(),
    startFakeOllama({ models: [{ name: "echo", chunkDelayMs: 20 }] }),
    // Its first chat waits, as Ollama's does while it loads a model.
    startFakeOllama({ models: [{ name: "slowpoke", loadMs: 4_000 }] }),
    startFakeOllama({ models: [{ name: "spare" }] }),
  ]);
  modelDir = await mkdtemp(join(tmpdir(), "hearth-sidecar-e2e-"));
  await ensureTinyModel(modelDir);
  worker = await startWorker({
    vars: {
      OPENAI_API_KEY: "test-openai-key",
      OPENAI_BASE_URL: `${openai.url}/v1`,
      ANTHROPIC_API_KEY: anthropic.apiKey,
      ANTHROPIC_BASE_URL: anthropic.url,
      HEARTH_AUTO_TARGETS: `${OPENAI},${ANTHROPIC}`,
      HEARTH_RETRY_BASE_MS: "20",
      // The breaker has its own file; here the timeout and error cases must not open it for the next ones.
      HEARTH_BREAKER_FAILURES: "1000",
    },
  });
  const names = ["gguf", "home", "single", "revokee", "nobody"] as const;
  const created = await Promise.all(names.map((n) => worker.createUser(n)));
  names.forEach((n, i) => (users[n] = created[i] as User));
  users.homebody = await worker.createUser("homebody", { mode: "local_only" });

  const start = (u: User, opts: { ollama?: string; models?: string[]; args: string[] }) =>
    startSidecar({ workerUrl: worker.url, token: u.sidecarToken, apiKey: u.apiKey, ...opts }).then((s) => (sidecars.push(s), s));
  [, , , revokeeSidecar] = await Promise.all([
    start(users.gguf, { models: [modelDir], args: ["--slots", "2", "--drain-seconds", "2"] }),
    start(users.home, { ollama: homeOllama.url, args: ["--slots", "8", "--queue", "8", "--drain-seconds", "2"] }),
    start(users.single, { ollama: singleOllama.url, args: ["--slots", "1", "--queue", "0", "--drain-seconds", "2"] }),
    start(users.revokee, { ollama: spareOllama.url, args: ["--drain-seconds", "2"] }),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all(
    sidecars.map(async (s) => {
      await s.stop("SIGTERM", 5_000);
      if (s.child.pid) killTree(s.child.pid); // tsx does not pass a SIGKILL on to the sidecar itself
    }),
  );
  await worker?.stop();
  await Promise.all([openai?.close(), anthropic?.close(), homeOllama?.close(), singleOllama?.close(), spareOllama?.close()]);
  if (modelDir) await rm(modelDir, { recursive: true, force: true });
});

beforeEach(() => {
  openai.reset();
  anthropic.reset();
});

describe("served at home by llama.cpp (the tiny GGUF)", () => {
  // Temperature 0: the random-weights model talks nonsense, but the same nonsense every time.
  const tiny = { ...ask("Hello"), max_tokens: 8, temperature: 0 };

  it("answers a non-streaming request at home, cut at max_tokens, with usage", async () => {
    const { data, response } = await clientOf(users.gguf).chat.completions.create(tiny).withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get("x-hearth-target")).toBe("local/hearth-tiny");
    expect(response.headers.get("x-hearth-attempts")).toBe("1");
    expect(traceOf(response.headers)).toEqual([["local/hearth-tiny", "served", "ok"]]);
    expect(data.choices[0]?.finish_reason).toBe("length");
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(data.usage?.completion_tokens).toBe(8);
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(data.usage?.total_tokens).toBe((data.usage?.prompt_tokens ?? 0) + 8);
    expect(cloudCalls()).toBe(0);
  });

  it("streams at home: the wire ends with [DONE], and the client assembles the same text", async () => {
    const r = await postChat(worker.url, users.gguf.apiKey, { ...tiny, stream: true, stream_options: { include_usage: true } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/event-stream");
    expect(r.headers.get("x-hearth-target")).toBe("local/hearth-tiny");
    const wire = await r.text();
    expect(sseData(wire).at(-1)).toBe("[DONE]");
    const chunks = sseChunks(wire);
    expect(chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter(Boolean)).toEqual(["length"]);
    expect(chunks.filter((c) => c.usage).map((c) => c.usage?.completion_tokens)).toEqual([8]);
    const rawText = streamText(chunks);
    expect(rawText.length).toBeGreaterThan(0);

    const { data: stream, response } = await clientOf(users.gguf)
      .chat.completions.create({ ...tiny, stream: true })
      .withResponse();
    let text = "";
    const finishes: string[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
    }
    expect(response.headers.get("x-hearth-target")).toBe("local/hearth-tiny");
    expect(finishes).toEqual(["length"]);
    expect(text).toBe(rawText);
    expect(cloudCalls()).toBe(0);
  });
});

describe("many streams on one connection", () => {
  it("runs 12 streams at once at home, each with its own whole answer", async () => {
    const prompts = Array.from({ length: 12 }, (_, i) => `stream ${i}: ${"abcdefgh".repeat(2 + (i % 5))}`);
    const before = chatsOf(homeOllama).length;
    const results = await Promise.all(
      prompts.map(async (p) => {
        const { data: stream, response } = await clientOf(users.home)
          .chat.completions.create({ ...ask(p), stream: true })
          .withResponse();
        let text = "";
        let finish: string | null | undefined;
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta.content ?? "";
          finish = chunk.choices[0]?.finish_reason ?? finish;
        }
        return { text, finish, target: response.headers.get("x-hearth-target"), attempts: response.headers.get("x-hearth-attempts") };
      }),
    );
    expect(results).toEqual(prompts.map((p) => ({ text: `Echo: ${p}`, finish: "stop", target: "local/echo:latest", attempts: "1" })));
    const chats = chatsOf(homeOllama).slice(before);
    expect(chats.map(lastUserText).sort()).toEqual([...prompts].sort());
    expect(cloudCalls()).toBe(0);
  });
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
    await waitFor(async () => chatsOf(singleOllama).length === 1, 10_000, "the first chat to reach Ollama");
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
    expect(chatsOf(singleOllama)).toHaveLength(1);

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
    slowpoke().chunkDelayMs = 150;
    const abort = new AbortController();
    try {
      const prompt = "a long and slow answer, please ".repeat(4);
      const running = await postChat(worker.url, users.single.apiKey, { ...ask(prompt), stream: true }, abort.signal);
      expect(running.headers.get("x-hearth-target")).toBe("local/slowpoke:latest");
      await readUntil(running, (t) => t.includes('"content":"Echo'));
      const chats = chatsOf(singleOllama).length;

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
      expect(chatsOf(singleOllama)).toHaveLength(chats);
    } finally {
      abort.abort();
      slowpoke().chunkDelayMs = 0;
    }
    const held = chatsOf(singleOllama).at(-1);
    await waitFor(async () => held?.aborted === true, 5_000, "the held chat to be cancelled");
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
        ["local", "failed", "timeout"],
        [OPENAI, "served", "ok"],
      ]);
      expect(elapsed).toBeGreaterThanOrEqual(750);
      expect(elapsed).toBeLessThan(800 + 5_000);
      const hung = chatsOf(homeOllama).at(-1);
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
        ["local", "failed", "timeout"],
        [OPENAI, "served", "ok"],
      ]);
      const hung = chatsOf(homeOllama).at(-1);
      await waitFor(async () => hung?.aborted === true, 5_000, "Ollama to see the home request cancelled");
    });
  });

  it("error: Ollama answers 500, the cloud serves", async () => {
    homeOllama.enqueueChat({ type: "status", status: 500 });
    const before = chatsOf(homeOllama).length;
    const { data, response } = await clientOf(users.home).chat.completions.create(ask("broken home")).withResponse();
    expect(data.choices[0]?.message.content).toBe("Echo: broken home");
    expect(response.headers.get("x-hearth-target")).toBe(OPENAI);
    expect(response.headers.get("x-hearth-attempts")).toBe("2");
    expect(traceOf(response.headers)).toEqual([
      ["local", "failed", "error"],
      [OPENAI, "served", "ok"],
    ]);
    expect(chatsOf(homeOllama)).toHaveLength(before + 1); // home is not retried
  });
});

describe("cancellation", () => {
  it("stops the home generation when the client disconnects mid-stream", async () => {
    echo().chunkDelayMs = 200;
    const prompt = "please go on for a good while ".repeat(4);
    const abort = new AbortController();
    let got = "";
    let finish: string | null | undefined;
    try {
      const stream = await clientOf(users.home).chat.completions.create({ ...ask(prompt), stream: true }, { signal: abort.signal });
      // The openai client ends the iteration quietly when its own signal aborts.
      for await (const chunk of stream) {
        got += chunk.choices[0]?.delta.content ?? "";
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (got) abort.abort();
      }
    } finally {
      echo().chunkDelayMs = 20;
    }
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(`Echo: ${prompt}`.length);
    expect(finish).toBeUndefined();
    const chat = chatsOf(homeOllama).at(-1);
    expect(chat && lastUserText(chat)).toBe(prompt);
    await waitFor(async () => chat?.aborted === true, 5_000, "Ollama to see the generation cancelled");
  });
});

describe("local_only", () => {
  it("answers 503 naming home's reason, and never calls the cloud", async () => {
    const r = await postChat(worker.url, users.homebody.apiKey, ask("only at home"));
    expect(r.status).toBe(503);
    expect(r.headers.get("x-hearth-error")).toBe("no_target_available");
    expect(traceOf(r.headers)).toEqual([["local", "skipped", "offline"]]);
    const body = (await r.json()) as ErrorJson;
    expect(body.error.code).toBe("no_target_available");
    expect(body.error.attempts?.map((a) => [a.target, a.outcome, a.reason])).toEqual([["local", "skipped", "offline"]]);

    const explicit = await postChat(worker.url, users.homebody.apiKey, { ...ask("the cloud, please"), model: OPENAI });
    expect(explicit.status).toBe(503);
    const eb = (await explicit.json()) as ErrorJson;
    expect(eb.error.code).toBe("no_target_available");
    expect(eb.error.attempts?.map((a) => [a.target, a.outcome, a.reason])).toEqual([[OPENAI, "skipped", "policy_local_only"]]);
    expect(cloudCalls()).toBe(0);
  });
});

describe("sidecar tokens", () => {
  it("refuses a wrong token and an API key on the upgrade with 401", async () => {
    const wrong = await upgrade("hs_not-a-real-token");
    expect(wrong.status).toBe(401);
    expect((JSON.parse(wrong.body) as ErrorJson).error.code).toBe("invalid_api_key");
    const apiKey = await upgrade(users.nobody.apiKey);
    expect(apiKey.status).toBe(401);
    expect((JSON.parse(apiKey.body) as ErrorJson).error.code).toBe("invalid_api_key");
    // The same request with a real sidecar token opens: the 401s above are about the token.
    expect((await upgrade(users.nobody.sidecarToken)).status).toBe(101);
  });

  it("revoking the token closes the live connection and refuses its reconnects", async () => {
    const { revokee } = users;
    expect(await localModels(worker.url, revokee.apiKey)).toEqual(["local/spare:latest"]);
    const user = (await (await worker.admin("GET", `/users/${revokee.id}`)).json()) as { credentials: { id: string; kind: string }[] };
    const credential = user.credentials.find((c) => c.kind === "sidecar");
    expect(credential).toBeDefined();
    const revoked = await worker.admin("DELETE", `/users/${revokee.id}/credentials/${credential?.id ?? ""}`);
    expect(revoked.status).toBe(200);

    await waitFor(async () => (await localModels(worker.url, revokee.apiKey)).length === 0, 5_000, "the revoked sidecar's models to disappear");
    await waitFor(async () => revokeeSidecar.output().includes("refused the sidecar token (401)"), 10_000, "the sidecar's reconnect to be refused");
    expect(await localModels(worker.url, revokee.apiKey)).toEqual([]);
    expect((await upgrade(revokee.sidecarToken)).status).toBe(401);
  });
});

describe("users are isolated", () => {
  it("never sends user B's request to user A's sidecar", async () => {
    const { home: a, nobody: b } = users;
    expect(await localModels(worker.url, a.apiKey)).toEqual(["local/echo:latest"]);
    expect(await localModels(worker.url, b.apiKey)).toEqual([]);
    const before = chatsOf(homeOllama).length;

    const { response } = await clientOf(b).chat.completions.create(ask("for B")).withResponse();
    expect(response.headers.get("x-hearth-target")).toBe(OPENAI);
    expect(traceOf(response.headers)).toEqual([
      ["local", "skipped", "offline"],
      [OPENAI, "served", "ok"],
    ]);

    // Naming A's model does not reach A either: B's own hub has no sidecar, so 503 offline.
    const r = await postChat(worker.url, b.apiKey, { ...ask("for B, at A's"), model: "local/echo:latest" });
    expect(r.status).toBe(503);
    const body = (await r.json()) as ErrorJson;
    expect(body.error.code).toBe("no_target_available");
    expect(body.error.attempts?.map((x) => [x.target, x.outcome, x.reason])).toEqual([["local/echo:latest", "skipped", "offline"]]);

    expect(chatsOf(homeOllama)).toHaveLength(before);
  });
});

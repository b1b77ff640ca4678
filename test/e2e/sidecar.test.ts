/**
 * Served at home, end to end: real `wrangler dev`, the real sidecar CLI as a child process dialling in
 * over its WebSocket, and behind it either real node-llama-cpp on the tiny GGUF or the fake Ollama
 * (whose timing the test controls). The official `openai` client is the caller; raw fetch where the
 * wire format itself is the point. Asserted: status, body, which target served, the trace, how many
 * upstream calls, and what reached (or never reached) the home backend. Why home is passed over is in
 * sidecar-fallback.test.ts; home going away and the breaker in sidecar-failover.test.ts.
 *
 * One sidecar per user, each with its own fake Ollama, so no case sees another's requests:
 *   gguf      llama.cpp, hearth-tiny.gguf
 *   home      Ollama "echo", 8 slots + 8 queued
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
import type { FakeServer } from "../fakes/harness.js";
import { chatRequests, lastUserText, startFakeOllama, type FakeOllama, type FakeOllamaModel } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { postChat, sseChunks, sseData, streamText, traceOf } from "../support/chat.js";
import { localModels, waitFor, type SidecarProcess } from "../support/sidecar.js";
import { startSidecars, stopSidecar } from "../support/sidecars.js";
import { ensureTinyModel } from "../../scripts/lib/tiny-gguf.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

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
const users = {} as Record<"gguf" | "home" | "revokee" | "nobody" | "homebody", User>;
let homeOllama: FakeOllama;
let spareOllama: FakeOllama;
let revokeeSidecar: SidecarProcess;
let sidecars: SidecarProcess[] = [];

/** The fake copies the models it is given: this reads the live one, whose timing a case may change. */
const echo = (): FakeOllamaModel => homeOllama.models[0] as FakeOllamaModel;

const clientOf = (u: User) => new OpenAI({ apiKey: u.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
const ask = (content: string) => ({ model: "auto", messages: [{ role: "user" as const, content }] });
const cloudCalls = () => openai.requests.length + anthropic.requests.length;

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
  [openai, anthropic, homeOllama, spareOllama] = await Promise.all([
    startFakeOpenAI(),
    startFakeAnthropic(),
    startFakeOllama({ models: [{ name: "echo", chunkDelayMs: 20 }] }),
    startFakeOllama({ models: [{ name: "spare" }] }),
  ]);
  modelDir = await mkdtemp(join(tmpdir(), "hearth-sidecar-e2e-"));
  await ensureTinyModel(modelDir);
  worker = await startWorker({
    vars: {
      ...cloudVars(openai, anthropic),
      HEARTH_AUTO_TARGETS: `${OPENAI},${ANTHROPIC}`,
      HEARTH_RETRY_BASE_MS: "20",
    },
  });
  const names = ["gguf", "home", "revokee", "nobody"] as const;
  const created = await Promise.all(names.map((n) => worker.createUser(n)));
  names.forEach((n, i) => (users[n] = created[i] as User));
  users.homebody = await worker.createUser("homebody", { mode: "local_only" });

  const sidecar = (u: User, opts: { ollama?: string; models?: string[]; args: string[] }) => ({
    workerUrl: worker.url,
    token: u.sidecarToken,
    apiKey: u.apiKey,
    ...opts,
  });
  sidecars = await startSidecars([
    sidecar(users.gguf, { models: [modelDir], args: ["--slots", "2", "--drain-seconds", "2"] }),
    sidecar(users.home, { ollama: homeOllama.url, args: ["--slots", "8", "--queue", "8", "--drain-seconds", "2"] }),
    sidecar(users.revokee, { ollama: spareOllama.url, args: ["--drain-seconds", "2"] }),
  ]);
  revokeeSidecar = sidecars[2] as SidecarProcess;
}, 90_000);

afterAll(async () => {
  await Promise.all(sidecars.map((s) => stopSidecar(s)));
  await worker?.stop();
  await Promise.all([openai?.close(), anthropic?.close(), homeOllama?.close(), spareOllama?.close()]);
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
    const before = chatRequests(homeOllama).length;
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
    const chats = chatRequests(homeOllama).slice(before);
    expect(chats.map(lastUserText).sort()).toEqual([...prompts].sort());
    expect(cloudCalls()).toBe(0);
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
    const chat = chatRequests(homeOllama).at(-1);
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
    const before = chatRequests(homeOllama).length;

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

    expect(chatRequests(homeOllama)).toHaveLength(before);
  });
});

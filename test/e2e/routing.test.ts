/**
 * The routing brain end to end: real `wrangler dev`, real sidecar processes in front of fake Ollama
 * servers, the cloud fakes, the official `openai` client. Hybrid rules send a coding prompt and a
 * greeting to different places; a private request fails closed; the home deadline adapts to a run of
 * slow answers; hedging keeps the faster answer and cancels the other; /v1/route/explain says what a
 * request will do before it does it.
 *
 * Users (each with its own sidecar and fake Ollama unless noted):
 *   hybrid    hybrid policy, a general model only ("llama3.2")
 *   coder     hybrid policy, a general model and a code model ("qwen2.5-coder")
 *   offline   no sidecar
 *   adaptive  local_first, for the learned deadline
 *   hedge     local_first with hedging after 300 ms
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FakeServer } from "../fakes/harness.js";
import { chatRequests, lastUserText, startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { postChat, sseChunks, streamText, traceOf } from "../support/chat.js";
import { waitFor, type SidecarProcess } from "../support/sidecar.js";
import { startSidecars, stopSidecar } from "../support/sidecars.js";
import { cloudVars, ROOT, startWorker, type RunningWorker } from "../support/wrangler.js";

const OPENAI = "openai/gpt-4o-mini";
const GENERAL = "local/llama3.2:latest";
const CODER = "local/qwen2.5-coder:latest";
const CODE_PROMPT = "Write a Python function that parses a CSV file and returns the rows as a list of dicts.";
const GREETING = "Hi there! How are you today?";

type User = Awaited<ReturnType<RunningWorker["createUser"]>>;
type Name = "hybrid" | "coder" | "offline" | "adaptive" | "hedge";

let openai: FakeServer;
let worker: RunningWorker;
const users = {} as Record<Name, User>;
const ollamas = {} as Record<Exclude<Name, "offline">, FakeOllama>;
let sidecars: SidecarProcess[] = [];

const clientOf = (u: User) => new OpenAI({ apiKey: u.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
const ask = (content: string) => ({ model: "auto", messages: [{ role: "user" as const, content }] });

interface Explained {
  rule: { name: string; matched: string[] } | null;
  targets: { target: string; deadline_ms: number; why: string }[];
  skipped: { target: string; reason: string }[];
  hedge: { primary: string; backup: string; after_ms: number } | null;
  features: { kind: string };
  private: boolean;
}

async function explain(u: User, body: object, headers: Record<string, string> = {}): Promise<Explained> {
  const r = await fetch(`${worker.url}/v1/route/explain`, {
    method: "POST",
    headers: { authorization: `Bearer ${u.apiKey}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  expect(r.status).toBe(200);
  return (await r.json()) as Explained;
}

/** Home's answers are recorded by the hub as they end; wait until the explain plan shows the samples' effect. */
async function deadlineOf(u: User): Promise<number> {
  return (await explain(u, ask("ping"))).targets[0]?.deadline_ms ?? NaN;
}

beforeAll(async () => {
  const general = { name: "llama3.2", contextLength: 8192, size: 2_000_000_000 };
  const coder = { name: "qwen2.5-coder", contextLength: 8192, size: 4_000_000_000 };
  openai = await startFakeOpenAI();
  ollamas.hybrid = await startFakeOllama({ models: [general] });
  ollamas.coder = await startFakeOllama({ models: [general, coder] });
  ollamas.adaptive = await startFakeOllama({ models: [general] });
  ollamas.hedge = await startFakeOllama({ models: [general] });
  // Warm, as a running Ollama's models are: a slow or cut answer here is the case, not a load.
  for (const o of Object.values(ollamas)) for (const m of o.models) o.loaded.set(`${m.name}:latest`, Date.now() + 3_600_000);
  worker = await startWorker({
    vars: {
      ...cloudVars(openai),
      HEARTH_AUTO_TARGETS: OPENAI,
      HEARTH_LEARN_MIN_SAMPLES: "5",
    },
  });
  const policies: Record<Name, object> = {
    hybrid: { mode: "hybrid" },
    coder: { mode: "hybrid" },
    offline: { mode: "hybrid" },
    adaptive: {},
    hedge: { hedge: { enabled: true, afterMs: 300 } },
  };
  for (const [name, policy] of Object.entries(policies) as [Name, object][]) users[name] = await worker.createUser(name, policy);
  sidecars = await startSidecars(
    (Object.keys(ollamas) as (keyof typeof ollamas)[]).map((name) => ({
      workerUrl: worker.url,
      token: users[name].sidecarToken,
      apiKey: users[name].apiKey,
      ollama: ollamas[name].url,
      args: ["--slots", "4", "--queue", "4", "--drain-seconds", "2"],
    })),
  );
}, 90_000);

afterAll(async () => {
  await Promise.all(sidecars.map((s) => stopSidecar(s)));
  await worker?.stop();
  await Promise.all([openai?.close(), ...Object.values(ollamas).map((o) => o.close())]);
});

beforeEach(() => {
  openai.reset();
  for (const o of Object.values(ollamas)) {
    o.requests.length = 0;
  }
});

describe("hybrid routing", () => {
  it("sends a greeting home and a coding prompt to the cloud, naming the rule", async () => {
    const client = clientOf(users.hybrid);
    const greeting = await client.chat.completions.create(ask(GREETING)).withResponse();
    expect(greeting.response.headers.get("x-hearth-target")).toBe(GENERAL);
    expect(greeting.response.headers.get("x-hearth-rule")).toBe("simple-at-home");
    expect(greeting.data.choices[0]?.message.content).toBe(`Echo: ${GREETING}`);

    const code = await client.chat.completions.create(ask(CODE_PROMPT)).withResponse();
    expect(code.response.headers.get("x-hearth-target")).toBe(OPENAI);
    expect(code.response.headers.get("x-hearth-rule")).toBe("code-to-cloud");
    expect(code.response.headers.get("x-hearth-attempts")).toBe("1");
    // Home was not asked the coding question; the cloud was not asked the greeting.
    expect(chatRequests(ollamas.hybrid).map(lastUserText)).toEqual([GREETING]);
    expect(openai.requests.map((r) => (r.body as { messages: { content: string }[] }).messages.at(-1)?.content)).toEqual([CODE_PROMPT]);
  });

  it("sends code to a code model at home when the sidecar has one", async () => {
    const { response } = await clientOf(users.coder).chat.completions.create(ask(CODE_PROMPT)).withResponse();
    expect(response.headers.get("x-hearth-target")).toBe(CODER);
    expect(response.headers.get("x-hearth-rule")).toBe("code-at-home");
    expect(openai.requests).toHaveLength(0);
    const greeting = await clientOf(users.coder).chat.completions.create(ask(GREETING)).withResponse();
    expect(greeting.response.headers.get("x-hearth-rule")).toBe("simple-at-home");
  });

  it("POST /v1/code routes as code whatever the prompt says, and takes a body without model", async () => {
    const r = await fetch(`${worker.url}/v1/code`, {
      method: "POST",
      headers: { authorization: `Bearer ${users.hybrid.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: GREETING }] }),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-hearth-rule")).toBe("code-to-cloud");
    expect(r.headers.get("x-hearth-target")).toBe(OPENAI);
    const coder = await fetch(`${worker.url}/v1/code`, {
      method: "POST",
      headers: { authorization: `Bearer ${users.coder.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: GREETING }], stream: true }),
    });
    expect(coder.headers.get("x-hearth-target")).toBe(CODER);
    const text = await coder.text();
    expect(streamText(sseChunks(text))).toBe(`Echo: ${GREETING}`);
    // A complete answer ends with [DONE] (the usage chunk nobody asked for is dropped, not stalled on).
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("/v1/route/explain matches what a request then does, for each kind of plan", async () => {
    const cases: [User, string, Record<string, string>][] = [
      [users.hybrid, GREETING, {}],
      [users.hybrid, CODE_PROMPT, {}],
      [users.coder, CODE_PROMPT, {}],
      [users.offline, GREETING, {}],
      [users.hybrid, CODE_PROMPT, { "x-hearth-privacy": "local-only" }],
    ];
    for (const [user, prompt, headers] of cases) {
      const plan = await explain(user, ask(prompt), headers);
      const r = await postChat(worker.url, user.apiKey, ask(prompt), { headers });
      expect(r.status, `${prompt} ${JSON.stringify(plan)} ${await r.clone().text()}`).toBe(200);
      expect(r.headers.get("x-hearth-target")).toBe(plan.targets[0]?.target);
      expect(r.headers.get("x-hearth-rule")).toBe(plan.rule?.name);
      // Skips the plan announced are in the trace with the same reasons.
      const trace = traceOf(r.headers);
      for (const s of plan.skipped) expect(trace).toContainEqual([s.target, "skipped", s.reason]);
    }
  });

  it("a home model the sidecar does not have is a 404 naming the field, not a fallback", async () => {
    const r = await postChat(worker.url, users.hybrid.apiKey, { ...ask(GREETING), model: "local/nope" });
    expect(r.status).toBe(404);
    const body = (await r.json()) as { error: { code: string; param: string } };
    expect(body.error).toMatchObject({ code: "model_not_found", param: "model" });
    expect(openai.requests).toHaveLength(0);
  });

  it("explain reports features, the matched conditions, deadlines and skips", async () => {
    const plan = await explain(users.offline, ask(CODE_PROMPT));
    expect(plan.features.kind).toBe("code");
    expect(plan.rule).toEqual({ name: "code-to-cloud", matched: ["kind code"] });
    expect(plan.targets).toEqual([{ target: OPENAI, deadline_ms: expect.any(Number), why: "rule code-to-cloud" }]);
    expect(plan.skipped).toEqual([{ target: "local", reason: "offline" }]);
  });
});

describe("setting a hybrid policy from the admin CLI", () => {
  it("pnpm hearth policy set --file --mode: the user's own rule decides, and a bad rule is refused naming the field", async () => {
    const u = await worker.createUser("cli-policy");
    const dir = mkdtempSync(join(tmpdir(), "hearth-policy-"));
    const file = join(dir, "policy.json");
    writeFileSync(file, JSON.stringify({ rules: [{ name: "vip-to-cloud", when: { metadata: { tier: "vip" } }, then: { route: "cloud" } }] }));
    const cli = (...args: string[]) =>
      promisify(execFile)(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "worker/cli/hearth.ts"), "policy", "set", u.id, "--url", worker.url, "--admin-token", worker.adminToken, ...args]);
    const { stdout } = await cli("--file", file, "--mode", "hybrid");
    expect(JSON.parse(stdout)).toMatchObject({ policy: { mode: "hybrid", rules: [{ name: "vip-to-cloud" }] } });
    const plan = await explain(u, { ...ask(GREETING), metadata: { tier: "vip" } });
    expect(plan.rule?.name).toBe("vip-to-cloud");

    writeFileSync(file, JSON.stringify({ rules: [{ name: "x", when: { kind: ["poetry"] }, then: { route: "cloud" } }] }));
    const bad = await cli("--file", file).then(
      () => "accepted",
      (err: { stdout: string; stderr: string }) => err.stdout + err.stderr,
    );
    expect(bad).toMatch(/rules\[0\]\.when\.kind\[0\]/);
  });
});

describe("privacy", () => {
  it("x-hearth-privacy: local-only keeps a cloud-bound request at home", async () => {
    const r = await postChat(worker.url, users.hybrid.apiKey, ask(CODE_PROMPT), { headers: { "x-hearth-privacy": "local-only" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-hearth-target")).toBe(GENERAL);
    expect(traceOf(r.headers)).toEqual([
      [OPENAI, "skipped", "private"],
      [GENERAL, "served", "ok"],
    ]);
    expect(openai.requests).toHaveLength(0);
  });

  it("fails closed with the sidecar offline: 503, the reasons, and no cloud call", async () => {
    const r = await postChat(worker.url, users.offline.apiKey, ask(GREETING), { headers: { "x-hearth-privacy": "local-only" } });
    expect(r.status).toBe(503);
    const body = (await r.json()) as { error: { code: string; message: string; hearth: boolean } };
    expect(body.error.code).toBe("no_target_available");
    expect(body.error.message).toMatch(/private/);
    expect(traceOf(r.headers)).toEqual([
      ["local", "skipped", "offline"],
      [OPENAI, "skipped", "private"],
    ]);
    expect(openai.requests).toHaveLength(0);
  });

  it("a private request naming a cloud model is refused without calling it; a bad header value is a 400 naming it", async () => {
    const named = await postChat(worker.url, users.hybrid.apiKey, { ...ask(GREETING), model: OPENAI }, { headers: { "x-hearth-privacy": "local-only" } });
    expect(named.status).toBe(503);
    expect(traceOf(named.headers)).toEqual([[OPENAI, "skipped", "private"]]);
    const bad = await postChat(worker.url, users.hybrid.apiKey, ask(GREETING), { headers: { "x-hearth-privacy": "sometimes" } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe("x-hearth-privacy");
    expect(openai.requests).toHaveLength(0);
  });

  it("a private policy keeps every request home", async () => {
    const u = await worker.createUser("private-policy", { mode: "hybrid", private: true });
    const r = await postChat(worker.url, u.apiKey, ask(CODE_PROMPT));
    expect(r.status).toBe(503);
    expect(traceOf(r.headers)).toEqual([
      [OPENAI, "skipped", "private"],
      ["local", "skipped", "offline"],
    ]);
    expect(openai.requests).toHaveLength(0);
  });
});

describe("learning from what happened", () => {
  it("the home deadline moves after a run of slow local answers", async () => {
    const client = clientOf(users.adaptive);
    // No history: the configured deadline (10 s).
    expect(await deadlineOf(users.adaptive)).toBe(10_000);
    for (let i = 0; i < 5; i++) await client.chat.completions.create(ask(`fast ${i}`));
    // Fast answers: twice their p95 is under the floor, so the floor (1 s).
    await waitFor(async () => (await deadlineOf(users.adaptive)) === 1_000, 5_000, "the deadline to fall to its floor");
    for (let i = 0; i < 5; i++) {
      ollamas.adaptive.enqueueChat({ type: "delay", ms: 900 });
      await client.chat.completions.create(ask(`slow ${i}`));
    }
    // p95 of ten samples is a slow one (~900 ms + overhead): the deadline is about twice that.
    await waitFor(async () => (await deadlineOf(users.adaptive)) > 1_700, 5_000, "the deadline to grow after slow answers");
    const d = await deadlineOf(users.adaptive);
    expect(d).toBeGreaterThanOrEqual(1_800);
    expect(d).toBeLessThan(3_000);
  });
});

describe("hedging", () => {
  it("home slower than its hedge delay: the cloud starts beside it, answers first, and home is cancelled", async () => {
    ollamas.hedge.enqueueChat({ type: "delay", ms: 3_000 });
    const plan = await explain(users.hedge, ask("race"));
    expect(plan.hedge).toEqual({ primary: GENERAL, backup: OPENAI, after_ms: 300 });
    const started = Date.now();
    const { data, response } = await clientOf(users.hedge).chat.completions.create(ask("race")).withResponse();
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(data.choices[0]?.message.content).toBe("Echo: race");
    expect(response.headers.get("x-hearth-target")).toBe(OPENAI);
    expect(response.headers.get("x-hearth-attempts")).toBe("2");
    expect(traceOf(response.headers)).toEqual([
      [GENERAL, "cancelled", "hedge_lost"],
      [OPENAI, "served", "ok"],
    ]);
    // The home generation was stopped: its Ollama call was abandoned.
    await waitFor(async () => chatRequests(ollamas.hedge)[0]?.aborted === true, 5_000, "home's Ollama call to be aborted");
  });

  it("home faster than a slow cloud: home's answer is kept and the cloud call is aborted (streaming)", async () => {
    ollamas.hedge.enqueueChat({ type: "delay", ms: 700 });
    openai.enqueue({ type: "delay", ms: 3_000 });
    const r = await postChat(worker.url, users.hedge.apiKey, { ...ask("home wins"), stream: true });
    expect(r.headers.get("x-hearth-target")).toBe(GENERAL);
    expect(streamText(sseChunks(await r.text()))).toBe("Echo: home wins");
    expect(traceOf(r.headers)).toEqual([
      [OPENAI, "cancelled", "hedge_lost"],
      [GENERAL, "served", "ok"],
    ]);
    await waitFor(async () => openai.requests[0]?.aborted === true, 5_000, "the cloud call to be aborted");
  });

  it("home answering in time starts no cloud call at all", async () => {
    const { response } = await clientOf(users.hedge).chat.completions.create(ask("quick")).withResponse();
    expect(response.headers.get("x-hearth-target")).toBe(GENERAL);
    expect(response.headers.get("x-hearth-attempts")).toBe("1");
    expect(openai.requests).toHaveLength(0);
  });
});

/**
 * Home's models by difficulty, end to end: a sidecar in front of a (fake) Ollama with a small fast
 * model and a large strong one, both loaded. An easy request goes to the small one and a hard one to
 * the large one, in both client modes; the trace says `pick=easy|hard`, explain says why before the
 * request runs, and the policy's `localHardAt` moves the line. The cloud is configured and never asked.
 * Both models are paced like a home on a CPU — the small one quick, the large one slow to its first token
 * and slow per token — and every answer must arrive whole.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseTrace } from "@hearth/shared";
import type { FakeServer } from "../fakes/harness.js";
import { chatRequests, expectedAnswer, startFakeOllama, type FakeOllama, type FakeOllamaModel } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { postChat, sseChunks, streamText } from "../support/chat.js";
import type { SidecarProcess } from "../support/sidecar.js";
import { startSidecars, stopSidecar } from "../support/sidecars.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

const SMALL = "local/qwen2.5:0.5b";
const LARGE = "local/qwen2.5:32b";
const EASY = "Hi! What's a good name for a cat?";
const HARD =
  "Prove step by step that the square root of 2 is irrational, then show that there are infinitely many primes. " +
  "Be rigorous, justify every step, and do not skip any case.";

// A small model answers in about half a second at 20–30 tokens/s; the large one takes 1–1.5 s to its
// first token and then 8–12 tokens/s — inside the default 10 s home deadline, as a real pair would be.
const SMALL_MODEL: FakeOllamaModel = { name: "qwen2.5:0.5b", contextLength: 8192, size: 400_000_000, firstTokenMs: [400, 700], tokensPerSecond: [20, 30], answerTokens: 24 };
const LARGE_MODEL: FakeOllamaModel = { name: "qwen2.5:32b", contextLength: 8192, size: 19_000_000_000, firstTokenMs: [1000, 1500], tokensPerSecond: [8, 12], answerTokens: 16 };

let openai: FakeServer;
let ollama: FakeOllama;
let worker: RunningWorker;
let sidecars: SidecarProcess[] = [];
type User = Awaited<ReturnType<RunningWorker["createUser"]>>;
let user: User;
let strict: User;

const ask = (content: string, stream = false) => ({ model: "auto", stream, messages: [{ role: "user", content }] });

beforeAll(async () => {
  openai = await startFakeOpenAI();
  ollama = await startFakeOllama({ models: [SMALL_MODEL, LARGE_MODEL] });
  // Warm, as a running Ollama's models are: both fit, so only difficulty decides.
  for (const m of ollama.models) ollama.loaded.set(m.name, Date.now() + 3_600_000);
  worker = await startWorker({ vars: { ...cloudVars(openai), HEARTH_AUTO_TARGETS: "openai/gpt-4o-mini" } });
  user = await worker.createUser("sizes", {});
  strict = await worker.createUser("sizes-strict", { localHardAt: 1 });
  sidecars = await startSidecars(
    [user, strict].map((u) => ({ workerUrl: worker.url, token: u.sidecarToken, apiKey: u.apiKey, ollama: ollama.url, expectModels: 2, args: ["--slots", "4"] })),
  );
}, 90_000);

afterAll(async () => {
  await Promise.all(sidecars.map((s) => stopSidecar(s)));
  await worker?.stop();
  await Promise.all([openai?.close(), ollama?.close()]);
});

beforeEach(() => {
  openai.reset();
  ollama.requests.length = 0;
});

async function served(u: User, prompt: string, stream: boolean): Promise<{ target: string | null; pick: string | undefined; text: string }> {
  const r = await postChat(worker.url, u.apiKey, ask(prompt, stream));
  expect(r.status).toBe(200);
  const body = await r.text();
  const text = stream ? streamText(sseChunks(body)) : ((JSON.parse(body) as { choices: { message: { content: string } }[] }).choices[0]?.message.content ?? "");
  const entry = parseTrace(r.headers.get("x-hearth-trace")).find((e) => e.outcome === "served");
  return { target: r.headers.get("x-hearth-target"), pick: entry?.pick, text };
}

describe("home's models by difficulty", () => {
  it.each([false, true])("stream=%s: easy → the small model, hard → the large one, the trace says which and why", async (stream) => {
    const easy = await served(user, EASY, stream);
    expect(easy).toMatchObject({ target: SMALL, pick: "easy", text: expectedAnswer(SMALL_MODEL, EASY) });
    const hard = await served(user, HARD, stream);
    expect(hard).toMatchObject({ target: LARGE, pick: "hard", text: expectedAnswer(LARGE_MODEL, HARD) });
    // Each went only where the trace says: Ollama saw one chat per model, the cloud none.
    expect(chatRequests(ollama).map((r) => (r.body as { model: string }).model)).toEqual(["qwen2.5:0.5b", "qwen2.5:32b"]);
    expect(openai.requests).toHaveLength(0);
  });

  it("explain says the same before the request runs", async () => {
    const plan = async (prompt: string) => {
      const r = await fetch(`${worker.url}/v1/route/explain`, {
        method: "POST",
        headers: { authorization: `Bearer ${user.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(ask(prompt)),
      });
      expect(r.status).toBe(200);
      return ((await r.json()) as { targets: { target: string; pick?: string; why: string }[] }).targets[0];
    };
    expect(await plan(EASY)).toMatchObject({ target: SMALL, pick: "easy", why: expect.stringMatching(/easy request \(complexity 0\.\d\d < 0\.35\): the smallest/) });
    expect(await plan(HARD)).toMatchObject({ target: LARGE, pick: "hard", why: expect.stringMatching(/hard request \(complexity 0\.\d\d ≥ 0\.35\): the largest/) });
  });

  it("localHardAt: 1 in the policy keeps even a hard request on the small model", async () => {
    expect(await served(strict, HARD, false)).toMatchObject({ target: SMALL, pick: "easy" });
  });
});

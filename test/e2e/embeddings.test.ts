/**
 * POST /v1/embeddings end to end: real `wrangler dev`, the real sidecar CLI dialling in, behind it the
 * fake Ollama (an embedding model and a chat model) or real node-llama-cpp on generated tiny GGUFs (an
 * embedding model, a chat model offered for embeddings by the `embeddings` tag, a plain chat model),
 * the fake OpenAI as the cloud, and the unchanged official `openai` SDK as the caller
 * (`client.embeddings.create`, which asks for base64 and decodes it unless told a format).
 * Asserted: the vectors (the fakes' are predictable; llama.cpp's are random-weight nonsense, so only
 * their shape, length, determinism and encodings), which target served, the trace and attempts, what
 * reached each upstream — and that an embedding request never falls back to another model.
 *
 *   ollama   sidecar → fake Ollama: nomic-embed-text (embedding), echo (chat)
 *   gguf     sidecar → llama.cpp: hearth-tiny-embed (pooling_type mean), hearth-tiny (chat, tagged
 *            `embeddings`), tiny-plain (chat)
 *   nobody   no sidecar
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseTrace } from "@hearth/shared";
import OpenAI, { BadRequestError, NotFoundError } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FakeServer } from "../fakes/harness.js";
import { startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { cutVector, fakeVector, fromBase64Vector } from "../fakes/vectors.js";
import { ensureTinyModel, writeTinyGguf } from "../../scripts/lib/tiny-gguf.js";
import type { SidecarProcess } from "../support/sidecar.js";
import { startSidecars, stopSidecar } from "../support/sidecars.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

const NOMIC = "nomic-embed-text:latest";
const HOME = `local/${NOMIC}`;

type User = Awaited<ReturnType<RunningWorker["createUser"]>>;

let openai: FakeServer;
let ollama: FakeOllama;
let worker: RunningWorker;
let modelDir: string;
let sidecars: SidecarProcess[] = [];
const users = {} as Record<"ollama" | "gguf" | "nobody", User>;

const clientOf = (u: User) => new OpenAI({ apiKey: u.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0, timeout: 30_000 });
const embedCalls = () => ollama.requests.filter((r) => r.path === "/api/embed");
const traceOf = (h: Headers) => parseTrace(h.get("x-hearth-trace")).map((e) => [e.target, e.outcome, e.reason]);
const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

function expectClose(actual: ArrayLike<number>, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  const worst = Array.from(actual).reduce((m, x, i) => Math.max(m, Math.abs(x - (expected[i] ?? NaN))), 0);
  expect(worst).toBeLessThan(1e-6);
}

async function setPolicy(u: User, policy: object): Promise<void> {
  const r = await worker.admin("PUT", `/users/${u.id}/policy`, policy);
  if (r.status !== 200) throw new Error(`set policy: ${r.status} ${await r.text()}`);
}

function post(u: User, body: object, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${worker.url}/v1/embeddings`, {
    method: "POST",
    headers: { authorization: `Bearer ${u.apiKey}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

interface ErrorJson {
  error: { code: string; param: string | null; message: string; hearth?: boolean };
}

beforeAll(async () => {
  [openai, ollama] = await Promise.all([
    startFakeOpenAI(),
    startFakeOllama({ models: [{ name: "nomic-embed-text", family: "nomic-bert", embedding: true, contextLength: 512 }, { name: "echo" }] }),
  ]);
  modelDir = await mkdtemp(join(tmpdir(), "hearth-embed-e2e-"));
  await ensureTinyModel(modelDir);
  await writeTinyGguf(join(modelDir, "hearth-tiny-embed.gguf"), { poolingType: 1, name: "hearth-tiny-embed", seed: 5 });
  await writeTinyGguf(join(modelDir, "tiny-plain.gguf"), { seed: 3 });
  const config = join(modelDir, "sidecar.yaml");
  await writeFile(config, "tags:\n  hearth-tiny: [embeddings]\n");
  worker = await startWorker({ vars: { ...cloudVars(openai), HEARTH_AUTO_TARGETS: "openai/gpt-4o-mini", HEARTH_RETRY_BASE_MS: "20" } });
  const names = ["ollama", "gguf", "nobody"] as const;
  const created = await Promise.all(names.map((n) => worker.createUser(n)));
  names.forEach((n, i) => (users[n] = created[i] as User));
  const base = (u: User) => ({ workerUrl: worker.url, token: u.sidecarToken, apiKey: u.apiKey });
  sidecars = await startSidecars([
    { ...base(users.ollama), ollama: ollama.url, expectModels: 2, args: ["--slots", "2", "--queue", "2", "--drain-seconds", "1"] },
    { ...base(users.gguf), models: [modelDir], expectModels: 3, args: ["--config", config, "--slots", "2", "--drain-seconds", "1"] },
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all(sidecars.map((s) => stopSidecar(s)));
  await worker?.stop();
  await Promise.all([openai?.close(), ollama?.close()]);
  if (modelDir) await rm(modelDir, { recursive: true, force: true });
});

beforeEach(async () => {
  openai.reset();
  ollama.reset();
  await Promise.all([setPolicy(users.ollama, {}), setPolicy(users.gguf, {}), setPolicy(users.nobody, {})]);
});

describe("served at home by Ollama", () => {
  it("embeds a batch through the SDK's default (base64, decoded): the fake's vectors, in order, with Hearth's headers", async () => {
    const { data, response } = await clientOf(users.ollama).embeddings.create({ model: HOME, input: ["the cat", "sat on the mat"] }).withResponse();
    expect(response.headers.get("x-hearth-target")).toBe(HOME);
    expect(response.headers.get("x-hearth-attempts")).toBe("1");
    expect(traceOf(response.headers)).toEqual([[HOME, "served", "ok"]]);
    expect(data.object).toBe("list");
    expect(data.model).toBe(NOMIC);
    expect(data.data.map((d) => d.index)).toEqual([0, 1]);
    expectClose(data.data[0]?.embedding ?? [], fakeVector(NOMIC, "the cat", 768));
    expectClose(data.data[1]?.embedding ?? [], fakeVector(NOMIC, "sat on the mat", 768));
    expect(data.usage).toEqual({ prompt_tokens: 6, total_tokens: 6 });
    expect(embedCalls().map((r) => r.body)).toEqual([{ model: NOMIC, input: ["the cat", "sat on the mat"], truncate: false }]);
    expect(openai.requests).toHaveLength(0);
  });

  it("answers float and base64 as asked, and cuts to dimensions (unit length again)", async () => {
    const client = clientOf(users.ollama);
    const f = await client.embeddings.create({ model: HOME, input: "hello", encoding_format: "float", dimensions: 64 });
    const expected = cutVector(fakeVector(NOMIC, "hello", 768), 64);
    expect(Array.isArray(f.data[0]?.embedding)).toBe(true);
    expectClose(f.data[0]?.embedding ?? [], expected);
    expect(norm(f.data[0]?.embedding ?? [])).toBeCloseTo(1, 5);
    const b = await client.embeddings.create({ model: HOME, input: "hello", encoding_format: "base64", dimensions: 64 });
    const text = b.data[0]?.embedding as unknown as string;
    expect(typeof text).toBe("string");
    expect(fromBase64Vector(text)).toEqual(f.data[0]?.embedding);
  });

  it("keeps a big batch in order across Ollama calls and tunnel frames", async () => {
    const input = Array.from({ length: 150 }, (_, i) => `sentence number ${i}`);
    const r = await clientOf(users.ollama).embeddings.create({ model: HOME, input, encoding_format: "float" });
    expect(r.data.map((d) => d.index)).toEqual(input.map((_, i) => i));
    expectClose(r.data[149]?.embedding ?? [], fakeVector(NOMIC, "sentence number 149", 768));
    expect(embedCalls().length).toBe(5);
  });

  it("carries the largest batch (2,048 inputs, ~8 MB of base64 vectors) over many tunnel frames", async () => {
    const input = Array.from({ length: 2048 }, (_, i) => `chunk ${i} of a long document`);
    const r = await clientOf(users.ollama).embeddings.create({ model: HOME, input });
    expect(r.data).toHaveLength(2048);
    expect(r.data.every((d, i) => d.index === i)).toBe(true);
    expectClose(r.data[2047]?.embedding ?? [], fakeVector(NOMIC, "chunk 2047 of a long document", 768));
  });

  it("refuses dimensions above the model's size, and an input too long for it, with a 400", async () => {
    const big = await post(users.ollama, { model: HOME, input: "x", dimensions: 1000 });
    expect(big.status).toBe(400);
    expect(((await big.json()) as ErrorJson).error.message).toMatch(/dimensions.*768/);
    const long = await post(users.ollama, { model: HOME, input: ["fine", "y".repeat(4000)] });
    expect(long.status).toBe(400);
    expect(((await long.json()) as ErrorJson).error).toMatchObject({ code: "invalid_request", param: "input" });
  });

  it("retries on the same model when Ollama's queue is full, and never calls the cloud", async () => {
    ollama.enqueueEmbed({ type: "status", status: 503 });
    const { response } = await clientOf(users.ollama).embeddings.create({ model: HOME, input: "again" }).withResponse();
    expect(response.headers.get("x-hearth-attempts")).toBe("2");
    expect(traceOf(response.headers)).toEqual([
      [HOME, "failed", "overloaded"],
      [HOME, "served", "ok"],
    ]);
    expect(openai.requests).toHaveLength(0);
  });

  it("ends a home that never answers with 504 after its first-content deadline, not a hang", async () => {
    await setPolicy(users.ollama, { localFirstTokenMs: 1_000 });
    ollama.enqueueEmbed({ type: "hang" });
    const t0 = Date.now();
    const r = await post(users.ollama, { model: HOME, input: "anyone there?" });
    expect(r.status).toBe(504);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(((await r.json()) as ErrorJson).error.code).toBe("upstream_timeout");
    expect(traceOf(r.headers)).toEqual([[HOME, "failed", "timeout"]]);
    expect(openai.requests).toHaveLength(0);
  });

  it("says a chat model does not embed (400) and an unknown home model does not exist (404)", async () => {
    const client = clientOf(users.ollama);
    const chat = await client.embeddings.create({ model: "local/echo:latest", input: "x" }).catch((e: unknown) => e);
    expect(chat).toBeInstanceOf(BadRequestError);
    expect((chat as BadRequestError).message).toMatch(/does not make embeddings/);
    const missing = await client.embeddings.create({ model: "local/bge-m3", input: "x" }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(embedCalls()).toHaveLength(0);
  });

  it("reads auto as the policy's embedding model, and refuses auto without one", async () => {
    const refused = await post(users.ollama, { model: "auto", input: "x" });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as ErrorJson).error.param).toBe("model");
    await setPolicy(users.ollama, { embeddingModel: HOME });
    const { response } = await clientOf(users.ollama).embeddings.create({ model: "auto", input: "x" }).withResponse();
    expect(response.headers.get("x-hearth-target")).toBe(HOME);
  });
});

describe("served at home by llama.cpp", () => {
  const EMBED = "local/hearth-tiny-embed";

  it("embeds with a GGUF embedding model: unit vectors of its 64 dimensions, the same for the same text", async () => {
    const client = clientOf(users.gguf);
    const { data, response } = await client.embeddings.create({ model: EMBED, input: ["Hello", "world", "Hello"], encoding_format: "float" }).withResponse();
    expect(response.headers.get("x-hearth-target")).toBe(EMBED);
    expect(data.model).toBe("hearth-tiny-embed");
    const [a, b, c] = data.data.map((d) => d.embedding);
    expect(a).toHaveLength(64);
    expect(norm(a ?? [])).toBeCloseTo(1, 5);
    expect(c).toEqual(a);
    expect(b).not.toEqual(a);
    expect(data.usage.prompt_tokens).toBeGreaterThan(10);
    // The SDK's default (base64) decodes to the same values.
    const decoded = await client.embeddings.create({ model: EMBED, input: "Hello" });
    expect(Array.from(decoded.data[0]?.embedding ?? [])).toEqual(a);
  });

  it("embeds with a chat model the sidecar's config tags `embeddings`, and refuses an untagged one", async () => {
    const client = clientOf(users.gguf);
    const r = await client.embeddings.create({ model: "local/hearth-tiny", input: "Hello", dimensions: 16, encoding_format: "float" });
    expect(r.data[0]?.embedding).toHaveLength(16);
    expect(norm(r.data[0]?.embedding ?? [])).toBeCloseTo(1, 5);
    const plain = await post(users.gguf, { model: "local/tiny-plain", input: "Hello" });
    expect(plain.status).toBe(400);
  });

  it("refuses an input longer than the model's context with a 400 naming it", async () => {
    const r = await post(users.gguf, { model: EMBED, input: ["ok", "z".repeat(300)] });
    expect(r.status).toBe(400);
    expect(((await r.json()) as ErrorJson).error.message).toMatch(/input\[1\] is \d+ tokens/);
  });

  it("never picks the embedding model for chat", async () => {
    const { response } = await clientOf(users.gguf).chat.completions.create({ model: "local", messages: [{ role: "user", content: "Hi" }], max_tokens: 2 }).withResponse();
    expect(response.headers.get("x-hearth-target")).not.toBe(EMBED);
    const r = await fetch(`${worker.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${users.gguf.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: EMBED, messages: [{ role: "user", content: "Hi" }] }),
    });
    expect(r.status).toBe(404);
  });
});

describe("served by OpenAI", () => {
  it("passes a bare text-embedding name to OpenAI, with dimensions and the SDK's base64, and its answer back", async () => {
    const { data, response } = await clientOf(users.nobody).embeddings.create({ model: "text-embedding-3-small", input: ["a", "b"], dimensions: 32 }).withResponse();
    expect(response.headers.get("x-hearth-target")).toBe("openai/text-embedding-3-small");
    expect(traceOf(response.headers)).toEqual([["openai/text-embedding-3-small", "served", "ok"]]);
    expect(Array.from(data.data[1]?.embedding ?? [])).toEqual(cutVector(fakeVector("text-embedding-3-small", "b", 1536), 32));
    expect(openai.requests.map((r) => r.body)).toEqual([{ model: "text-embedding-3-small", input: ["a", "b"], encoding_format: "base64", dimensions: 32 }]);
  });

  it("takes openai/<model> and token arrays, float as asked", async () => {
    const r = await clientOf(users.nobody).embeddings.create({ model: "openai/text-embedding-3-large", input: [[1, 2], [3]], encoding_format: "float" });
    expect(r.model).toBe("text-embedding-3-large");
    expect(r.data).toHaveLength(2);
    expect(r.data[0]?.embedding).toEqual(fakeVector("text-embedding-3-large", "1,2", 3072));
  });

  it("ends an OpenAI that never answers with 504 after the cloud's first-content deadline", async () => {
    await setPolicy(users.nobody, { cloudFirstTokenMs: 500 });
    openai.enqueue({ type: "hang" });
    const r = await post(users.nobody, { model: "text-embedding-3-small", input: "x" });
    expect(r.status).toBe(504);
    expect(traceOf(r.headers)).toEqual([["openai/text-embedding-3-small", "failed", "timeout"]]);
  });

  it("retries a 429 on the same model, and passes a 400 on as it came", async () => {
    openai.enqueue({ type: "status", status: 429 });
    const { response } = await clientOf(users.nobody).embeddings.create({ model: "text-embedding-3-small", input: "x" }).withResponse();
    expect(response.headers.get("x-hearth-attempts")).toBe("2");
    const bad = await post(users.nobody, { model: "text-embedding-ada-002", input: "x", dimensions: 8 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorJson).error.message).toContain("does not support specifying dimensions");
  });
});

describe("never another model", () => {
  it("answers local/<model> with home offline by 503 (retry-after, the reason), without calling the cloud", async () => {
    const r = await post(users.nobody, { model: HOME, input: "x" });
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("10");
    expect(traceOf(r.headers)).toEqual([[HOME, "skipped", "offline"]]);
    expect(((await r.json()) as ErrorJson).error).toMatchObject({ code: "no_target_available", hearth: true });
    expect(openai.requests).toHaveLength(0);
  });

  it("keeps a private request's OpenAI model from the cloud: 503, not home's model", async () => {
    const r = await post(users.ollama, { model: "text-embedding-3-small", input: "x" }, { "x-hearth-privacy": "local-only" });
    expect(r.status).toBe(503);
    expect(traceOf(r.headers)).toEqual([["openai/text-embedding-3-small", "skipped", "private"]]);
    expect(openai.requests).toHaveLength(0);
    expect(embedCalls()).toHaveLength(0);
  });

  it("404s unknown names and 400s Anthropic's", async () => {
    const client = clientOf(users.nobody);
    await expect(client.embeddings.create({ model: "nomic-embed-text", input: "x" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.embeddings.create({ model: "claude-sonnet-4-5", input: "x" })).rejects.toBeInstanceOf(BadRequestError);
    const bad = await post(users.nobody, { model: HOME, input: ["a", ""] });
    expect(((await bad.json()) as ErrorJson).error.param).toBe("input[1]");
  });
});

describe("recorded, gated and budgeted like every request", () => {
  interface Stats {
    targets: Record<string, { served: number; prompt_tokens: number; cost_usd: number } | undefined>;
    budget: { day: { spent_usd: number } };
  }
  async function statsOf(u: User, until: (s: Stats) => boolean): Promise<Stats> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const r = await fetch(`${worker.url}/v1/stats`, { headers: { authorization: `Bearer ${u.apiKey}` } });
      const s = (await r.json()) as Stats;
      if (until(s) || Date.now() > deadline) return s;
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  it("counts an OpenAI embedding in the stats and its cost in the budget's spend", async () => {
    const u = await worker.createUser("embed-stats", { budget: { dailyUsd: 100, onExceeded: "refuse" } });
    const input = "the quick brown fox jumps over the lazy dog ".repeat(20);
    const r = await post(u, { model: "text-embedding-3-small", input });
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    const s = await statsOf(u, (x) => (x.targets["openai/text-embedding-3-small"]?.served ?? 0) >= 1);
    const t = s.targets["openai/text-embedding-3-small"];
    expect(t?.served).toBe(1);
    expect(t?.prompt_tokens).toBeGreaterThan(100);
    // text-embedding-3-small: $0.02 per million input tokens.
    expect(t?.cost_usd).toBeCloseTo(((t?.prompt_tokens ?? 0) * 0.02) / 1e6, 6);
    expect(s.budget.day.spent_usd).toBeGreaterThan(0);
  });

  it("refuses a cloud embedding the budget cannot pay for (429 budget_exceeded, reason=budget), and serves one it can", async () => {
    // $0.000001 pays for about 50 tokens of text-embedding-3-small.
    const u = await worker.createUser("embed-budget", { budget: { dailyUsd: 0.000001, onExceeded: "refuse" } });
    const small = await post(u, { model: "text-embedding-3-small", input: "a few words" });
    expect(small.status).toBe(200);
    await small.arrayBuffer();
    const big = await post(u, { model: "text-embedding-3-small", input: "many many words ".repeat(200) });
    expect(big.status).toBe(429);
    expect(((await big.json()) as ErrorJson).error.code).toBe("budget_exceeded");
    expect(traceOf(big.headers)).toEqual([["openai/text-embedding-3-small", "skipped", "budget"]]);
    expect(openai.requests.filter((q) => q.path.endsWith("/embeddings"))).toHaveLength(1);
  });

  it("keeps a private user's embeddings off the cloud, and lets a cloud_only policy refuse home", async () => {
    await setPolicy(users.ollama, { private: true });
    const r = await post(users.ollama, { model: "text-embedding-3-small", input: "x" });
    expect(r.status).toBe(503);
    expect(traceOf(r.headers)).toEqual([["openai/text-embedding-3-small", "skipped", "private"]]);
    await setPolicy(users.ollama, { mode: "cloud_only" });
    const home = await post(users.ollama, { model: HOME, input: "x" });
    expect(home.status).toBe(503);
    expect(traceOf(home.headers)).toEqual([[HOME, "skipped", "policy_cloud_only"]]);
    expect(openai.requests).toHaveLength(0);
    expect(embedCalls()).toHaveLength(0);
  });
});

describe("GET /v1/models", () => {
  it("says what each model does", async () => {
    const list = async (u: User) => ((await (await fetch(`${worker.url}/v1/models`, { headers: { authorization: `Bearer ${u.apiKey}` } })).json()) as { data: { id: string; capabilities?: string[]; dimensions?: number }[] }).data;
    const home = await list(users.ollama);
    expect(home.find((m) => m.id === HOME)).toMatchObject({ capabilities: ["embeddings"], dimensions: 768 });
    expect(home.find((m) => m.id === "local/echo:latest")).toMatchObject({ capabilities: ["chat"] });
    const gguf = await list(users.gguf);
    expect(gguf.find((m) => m.id === "local/hearth-tiny-embed")).toMatchObject({ capabilities: ["embeddings"], dimensions: 64 });
    expect(gguf.find((m) => m.id === "local/hearth-tiny")).toMatchObject({ capabilities: ["chat", "embeddings"] });
    expect(gguf.find((m) => m.id === "local/tiny-plain")).toMatchObject({ capabilities: ["chat"] });
  });

  it("says auto embeds when an embedding model is configured for it, and lists that model when it is OpenAI's", async () => {
    const ids = async () => (await clientOf(users.nobody).models.list()).data.map((m) => [m.id, (m as unknown as { capabilities: string[] }).capabilities]);
    expect(await ids()).toEqual([["auto", ["chat"]], ["openai/gpt-4o-mini", ["chat"]]]);
    await setPolicy(users.nobody, { embeddingModel: "text-embedding-3-small" });
    expect(await ids()).toEqual([["auto", ["chat", "embeddings"]], ["openai/gpt-4o-mini", ["chat"]], ["openai/text-embedding-3-small", ["embeddings"]]]);
    expect(await clientOf(users.nobody).models.retrieve("openai/text-embedding-3-small")).toMatchObject({ capabilities: ["embeddings"] });
  });
});

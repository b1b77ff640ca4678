/**
 * Permanent versus transient: a request that no allowed target can ever serve is a 400-class error
 * with OpenAI's codes, which clients do not retry; "nothing available right now" stays a 503 with
 * retry-after. Real `wrangler dev`, the real sidecar before the fake Ollama, the official openai client
 * with its default retries — counting the HTTP requests it really sends.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startSidecar, type SidecarProcess } from "../support/sidecar.js";
import { startWorker, type RunningWorker } from "../support/wrangler.js";

let ollama: FakeOllama;
let worker: RunningWorker;
let sidecar: SidecarProcess;
let home: Awaited<ReturnType<RunningWorker["createUser"]>>;
let nobody: Awaited<ReturnType<RunningWorker["createUser"]>>;

/** The official client with its default retries, and a count of the HTTP requests it sent. */
function countingClient(apiKey: string) {
  const sent = { n: 0 };
  const client = new OpenAI({
    apiKey,
    baseURL: `${worker.url}/v1`,
    // Fast backoff so a client that does retry shows it quickly.
    maxRetries: 2,
    fetch: (url, init) => {
      sent.n++;
      return fetch(url, init);
    },
  });
  return { client, sent };
}

const tool = { type: "function" as const, function: { name: "lookup", parameters: { type: "object", properties: {} } } };

beforeAll(async () => {
  // A small model with a 2,048-token context and no tool support.
  ollama = await startFakeOllama({ models: [{ name: "tiny", contextLength: 2048 }] });
  ollama.loaded.set("tiny:latest", Date.now() + 600_000);
  // No cloud keys: home is all there is.
  worker = await startWorker();
  [home, nobody] = await Promise.all([worker.createUser("home"), worker.createUser("nobody", { mode: "local_only" })]);
  sidecar = await startSidecar({ workerUrl: worker.url, token: home.sidecarToken, apiKey: home.apiKey, ollama: ollama.url });
}, 90_000);

afterAll(async () => {
  await sidecar?.stop();
  await worker?.stop();
  await ollama?.close();
});

describe("requests no allowed target can ever serve", () => {
  it("tools for a local model that cannot call them: 400 unsupported_parameter naming tools, sent once", async () => {
    const { client, sent } = countingClient(home.apiKey);
    const err = await client.chat.completions.create({ model: "local/tiny:latest", tools: [tool], messages: [{ role: "user", content: "look it up" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.code).toBe("unsupported_parameter");
    expect(e.param).toBe("tools");
    expect(sent.n).toBe(1);
  });

  it("a prompt longer than every allowed model's context: 400 context_length_exceeded, sent once", async () => {
    const { client, sent } = countingClient(home.apiKey);
    const err = await client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "word ".repeat(4_000) }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.code).toBe("context_length_exceeded");
    expect(e.param).toBe("messages");
    expect(sent.n).toBe(1);
  });
});

describe("nothing available right now", () => {
  it("home offline under local_only: 503 no_target_available with retry-after", async () => {
    const r = await fetch(`${worker.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${nobody.apiKey}` },
      body: JSON.stringify({ model: "auto", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(r.status).toBe(503);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("no_target_available");
  });
});

/**
 * GET /v1/models/{id} and reasoning_effort end to end: real `wrangler dev`, a real sidecar behind it
 * serving the fake Ollama, the fake OpenAI upstream, and the official `openai` client as the caller
 * (`models.retrieve` sends the id's '/' percent-encoded). Asserted: the model objects, the 404s, and
 * what reached each upstream.
 */
import OpenAI, { NotFoundError } from "openai";
import type { ReasoningEffort } from "openai/resources/shared";
import type { ChatRequest } from "@hearth/shared";
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import type { FakeServer } from "../fakes/harness.js";
import { chatRequests, startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { startSidecar, type SidecarProcess } from "../support/sidecar.js";
import { stopSidecar } from "../support/sidecars.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

const CLOUD = "openai/gpt-4.1-mini";
const UNCONFIGURED = "anthropic/claude-sonnet-4-5";
const LOCAL = "local/llama3.2:latest";

let openai: FakeServer;
let ollama: FakeOllama;
let worker: RunningWorker;
let sidecar: SidecarProcess | undefined;
let client: OpenAI;
let apiKey: string;

beforeAll(async () => {
  [openai, ollama] = await Promise.all([startFakeOpenAI(), startFakeOllama()]);
  // Anthropic is in the auto list but has no key: it is neither listed nor retrievable.
  worker = await startWorker({ vars: { ...cloudVars(openai), HEARTH_AUTO_TARGETS: `${CLOUD},${UNCONFIGURED}`, HEARTH_RETRY_BASE_MS: "20" } });
  const user = await worker.createUser("alice");
  apiKey = user.apiKey;
  client = new OpenAI({ apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
  sidecar = await startSidecar({ workerUrl: worker.url, token: user.sidecarToken, apiKey, ollama: ollama.url, expectModels: 2, args: ["--drain-seconds", "1"] });
}, 90_000);
afterAll(async () => {
  if (sidecar) await stopSidecar(sidecar);
  await worker?.stop();
  await Promise.all([openai?.close(), ollama?.close()]);
});
beforeEach(() => openai.reset());

async function notFound(id: string): Promise<NotFoundError> {
  const err = await client.models.retrieve(id).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(NotFoundError);
  return err as NotFoundError;
}

describe("GET /v1/models/{id} through the openai SDK", () => {
  it("retrieves auto, a local model and a cloud target in OpenAI's model shape (with what each does)", async () => {
    expect(await client.models.retrieve("auto")).toEqual({ id: "auto", object: "model", created: 0, owned_by: "hearth", capabilities: ["chat"] });
    expect(await client.models.retrieve(LOCAL)).toEqual({ id: LOCAL, object: "model", created: 0, owned_by: "local", capabilities: ["chat"] });
    expect(await client.models.retrieve(CLOUD)).toEqual({ id: CLOUD, object: "model", created: 0, owned_by: "openai", capabilities: ["chat"] });
  });

  it("retrieves every model the list holds, as the list shows it", async () => {
    const listed = [];
    for await (const model of client.models.list()) listed.push(model);
    expect(listed.map((m) => m.id)).toEqual(["auto", LOCAL, "local/tinyllama:latest", CLOUD]);
    for (const model of listed) expect(await client.models.retrieve(model.id)).toEqual(model);
  });

  it("404s model_not_found, naming the param, for ids the list does not hold", async () => {
    for (const id of ["mystery-model", "local/nope:latest", UNCONFIGURED, "openai/gpt-4o"]) {
      const err = await notFound(id);
      expect(err.status).toBe(404);
      expect(err.code).toBe("model_not_found");
      expect(err.param).toBe("model");
      expect(err.message).toContain(`'${id}'`);
    }
  });

  it("takes the id's '/' unencoded too, as curl sends it", async () => {
    const r = await fetch(`${worker.url}/v1/models/${LOCAL}`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { id: string }).id).toBe(LOCAL);
  });
});

describe("reasoning_effort", () => {
  it("accepts every value of the openai SDK's ReasoningEffort type, and the spec's newer `max`", () => {
    // Checked by tsc (test/tsconfig.json): fails to compile when the SDK or the schema changes alone.
    // The OpenAPI spec (2026-08) added `max`, which the openai SDK pinned here does not know yet.
    expectTypeOf<NonNullable<ChatRequest["reasoning_effort"]>>().toEqualTypeOf<NonNullable<ReasoningEffort> | "max">();
  });

  it("passes xhigh, none and max to OpenAI as sent, streaming or not", async () => {
    const whole = await client.chat.completions.create({ model: "openai/gpt-4o-mini", reasoning_effort: "xhigh", messages: [{ role: "user", content: "think hard" }] });
    expect(whole.choices[0]?.message.content).toBe("Echo: think hard");
    const stream = await client.chat.completions.create({ model: "openai/gpt-4o-mini", reasoning_effort: "none", stream: true, messages: [{ role: "user", content: "do not think" }] });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Echo: do not think");
    const max = await fetch(`${worker.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "openai/gpt-4o-mini", reasoning_effort: "max", messages: [{ role: "user", content: "think hardest" }] }),
    });
    expect(max.status).toBe(200);
    expect(openai.requests.map((r) => (r.body as { reasoning_effort?: string }).reasoning_effort)).toEqual(["xhigh", "none", "max"]);
  });

  it("is taken by home too, whose backend has no such setting and is not sent it", async () => {
    const before = chatRequests(ollama).length;
    const { data, response } = await client.chat.completions
      .create({ model: LOCAL, reasoning_effort: "xhigh", messages: [{ role: "user", content: "at home" }] })
      .withResponse();
    expect(response.headers.get("x-hearth-target")).toBe(LOCAL);
    expect(data.choices[0]?.message.content).toBe("Echo: at home");
    const sent = chatRequests(ollama).slice(before);
    expect(sent).toHaveLength(1);
    expect(JSON.stringify(sent[0]?.body)).not.toContain("xhigh");
  });

  it("400s a value OpenAI does not define, naming the field", async () => {
    const r = await fetch(`${worker.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "openai/gpt-4o-mini", reasoning_effort: "extreme", messages: [{ role: "user", content: "x" }] }),
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { param: string; code: string } }).error).toMatchObject({ param: "reasoning_effort", code: "invalid_request" });
    expect(openai.requests).toHaveLength(0);
  });
});

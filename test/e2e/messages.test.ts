/**
 * POST /v1/messages — Anthropic's Messages API, as Claude Code and Anthropic's SDK speak it — end to
 * end with the unchanged `@anthropic-ai/sdk`: real `wrangler dev`, the real sidecar before the fake
 * Ollama (home), the fake OpenAI and the fake Anthropic, against all three kinds of target. Served by
 * Anthropic the request and the answer pass through untouched (cache_control, beta headers, thinking
 * signatures survive); served by home or OpenAI they are translated both ways.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_THINKING, startFakeAnthropic, type FakeAnthropic } from "../fakes/anthropic.js";
import type { FakeServer } from "../fakes/harness.js";
import { chatRequests, startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { startSidecar, type SidecarProcess } from "../support/sidecar.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

let openai: FakeServer;
let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let worker: RunningWorker;
let sidecar: SidecarProcess;
type User = Awaited<ReturnType<RunningWorker["createUser"]>>;
/** home: the defaults (Haiku names → auto, home first; other Claude names → Anthropic); viaOpenAI: every Claude name → OpenAI. */
let home: User;
let viaOpenAI: User;

const clientOf = (u: User) => new Anthropic({ apiKey: u.apiKey, baseURL: worker.url, maxRetries: 0 });
const SONNET = "claude-sonnet-4-5";
const HAIKU = "claude-haiku-4-5-20251001";
const ask = (model: string, text: string) => ({ model, max_tokens: 256, messages: [{ role: "user" as const, content: text }] });

/** The three kinds of target and who serves a Claude name for them. */
const KINDS = [
  { kind: "Anthropic", user: () => home, model: SONNET, target: `anthropic/${SONNET}` },
  { kind: "home", user: () => home, model: HAIKU, target: "local/llama3.2:latest" },
  { kind: "OpenAI", user: () => viaOpenAI, model: SONNET, target: "openai/gpt-4o-mini" },
] as const;

beforeAll(async () => {
  [openai, anthropic, ollama] = await Promise.all([startFakeOpenAI(), startFakeAnthropic(), startFakeOllama()]);
  ollama.loaded.set("llama3.2:latest", Date.now() + 600_000);
  worker = await startWorker({ vars: { ...cloudVars(openai, anthropic), HEARTH_AUTO_TARGETS: `anthropic/${SONNET}` } });
  home = await worker.createUser("home");
  viaOpenAI = await worker.createUser("via-openai", { modelMap: [{ match: "claude-*", to: "openai/gpt-4o-mini" }] });
  sidecar = await startSidecar({ workerUrl: worker.url, token: home.sidecarToken, apiKey: home.apiKey, ollama: ollama.url, expectModels: 2 });
}, 90_000);

afterAll(async () => {
  await sidecar?.stop();
  await worker?.stop();
  await Promise.all([openai?.close(), anthropic?.close(), ollama?.close()]);
});

describe.each(KINDS)("served by $kind", ({ user, model, target }) => {
  it("messages.create answers a message in Anthropic's shape, with Hearth's headers", async () => {
    const { data, response } = await clientOf(user()).messages.create(ask(model, "hello there")).withResponse();
    expect(response.headers.get("x-hearth-target")).toBe(target);
    expect(data).toMatchObject({ type: "message", role: "assistant", stop_reason: "end_turn" });
    expect(data.id).toMatch(/^msg_/);
    expect(data.content).toEqual([{ type: "text", text: "Echo: hello there" }]);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
  });

  it("messages.stream: text events in order, and finalMessage() is the whole message", async () => {
    const stream = clientOf(user()).messages.stream(ask(model, "stream to me"));
    const texts: string[] = [];
    stream.on("text", (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts.join("")).toBe("Echo: stream to me");
    expect(final.content).toEqual([{ type: "text", text: "Echo: stream to me" }]);
    expect(final.stop_reason).toBe("end_turn");
  });

  it("a tool round trip: tool_use, then the tool_result answered", async () => {
    const tools = [{ name: "lookup", description: "Look something up", input_schema: { type: "object" as const, properties: { query: { type: "string" } } } }];
    const client = clientOf(user());
    const first = await client.messages.create({ ...ask(model, "find the weather"), tools });
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b) => b.type === "tool_use");
    expect(use).toMatchObject({ type: "tool_use", name: "lookup", input: { query: "find the weather" } });
    if (use?.type !== "tool_use") throw new Error("no tool_use");
    const second = await client.messages.create({
      model,
      max_tokens: 256,
      tools,
      messages: [
        { role: "user", content: "find the weather" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "sunny" }] },
      ],
    });
    expect(second.content).toEqual([{ type: "text", text: "Tool said: sunny" }]);
  });
});

describe("served by Anthropic, passed through untouched", () => {
  it("the client's body and beta header reach Anthropic as sent: cache_control, system blocks, metadata", async () => {
    anthropic.reset();
    const system = [{ type: "text" as const, text: "You are terse.", cache_control: { type: "ephemeral" as const } }];
    await clientOf(home).messages.create(
      { ...ask(SONNET, "cache me"), system, metadata: { user_id: "u-1" } },
      { headers: { "anthropic-beta": "prompt-caching-2024-07-31" } },
    );
    const sent = anthropic.requests[0];
    expect(sent?.headers["anthropic-beta"]).toBe("prompt-caching-2024-07-31");
    // A client that does not stream gets Anthropic's answer fetched whole (stream: false upstream too).
    expect(sent?.body).toMatchObject({ model: SONNET, system, metadata: { user_id: "u-1" }, stream: false });
  });

  it("thinking blocks and their signatures survive, streamed and not", async () => {
    const body = { ...ask(SONNET, "think first"), thinking: { type: "enabled" as const, budget_tokens: 1024 } };
    const plain = await clientOf(home).messages.create(body);
    expect(plain.content[0]).toMatchObject({ type: "thinking", thinking: FAKE_THINKING });
    expect((plain.content[0] as { signature: string }).signature).toMatch(/^sig_msg_fake_/);
    const streamed = await clientOf(home).messages.stream(body).finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: "thinking", thinking: FAKE_THINKING });
    expect((streamed.content[0] as { signature: string }).signature).toMatch(/^sig_msg_fake_/);
    expect(streamed.content[1]).toEqual({ type: "text", text: "Echo: think first" });
  });

  it("countTokens asks Anthropic", async () => {
    const r = await clientOf(home).messages.countTokens({ model: SONNET, messages: [{ role: "user", content: "count these words" }] });
    expect(r.input_tokens).toBeGreaterThan(0);
    expect(anthropic.requests.at(-1)?.path).toBe("/v1/messages/count_tokens");
  });
});

describe("translated for home and OpenAI", () => {
  it("an image reaches OpenAI as an image_url data URL", async () => {
    openai.reset();
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    await clientOf(viaOpenAI).messages.create({
      model: SONNET,
      max_tokens: 64,
      messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: png } }, { type: "text", text: "what is it" }] }],
    });
    const sent = openai.requests[0]?.body as { messages: { content: { type: string; image_url?: { url: string } }[] }[] };
    expect(sent.messages[0]?.content[0]).toEqual({ type: "image_url", image_url: { url: `data:image/png;base64,${png}` } });
  });

  it("a Haiku-class name goes home first (Claude Code's background calls)", async () => {
    ollama.reset();
    ollama.loaded.set("llama3.2:latest", Date.now() + 600_000);
    const { response } = await clientOf(home).messages.create(ask(HAIKU, "background chore")).withResponse();
    expect(response.headers.get("x-hearth-target")).toBe("local/llama3.2:latest");
    expect(chatRequests(ollama)).toHaveLength(1);
  });

  it("countTokens without an Anthropic target is Hearth's estimate", async () => {
    const r = await clientOf(viaOpenAI).messages.countTokens({ model: SONNET, messages: [{ role: "user", content: "count these words please" }] });
    expect(r.input_tokens).toBeGreaterThan(0);
  });
});

describe("errors in Anthropic's shape", () => {
  it("a bad key is an AuthenticationError", async () => {
    const client = new Anthropic({ apiKey: "hk_nope", baseURL: worker.url, maxRetries: 0 });
    const err = await client.messages.create(ask(SONNET, "x")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({ type: "error", error: { type: "authentication_error" } });
  });

  it("a body without max_tokens is a BadRequestError naming it", async () => {
    const r = await fetch(`${worker.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": home.apiKey, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: SONNET, messages: [{ role: "user", content: "x" }] }),
    });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { type: string; error: { type: string; message: string } };
    expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(body.error.message).toContain("max_tokens");
  });

  it("Anthropic's own 400 is passed on with its status", async () => {
    anthropic.enqueue({ type: "status", status: 400, message: "messages.0: bad block" });
    const err = await clientOf(home).messages.create(ask(SONNET, "x")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(String((err as Error).message)).toContain("bad block");
  });

  it("nothing available is a 503 overloaded_error the SDK can retry", async () => {
    anthropic.enqueue({ type: "status", status: 529 }, { type: "status", status: 529 }, { type: "status", status: 529 });
    const err = await clientOf(home).messages.create(ask(SONNET, "x")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBeGreaterThanOrEqual(500);
  });
});

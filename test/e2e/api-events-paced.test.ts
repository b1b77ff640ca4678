/**
 * Anthropic's Messages API and OpenAI's Responses API against a paced home, with the unchanged SDKs in
 * both client modes: real `wrangler dev`, the real sidecar before the fake Ollama paced like a home on
 * a CPU (over a second to the first token, then about 10 tokens/s). A long slow answer arrives whole;
 * a home that stalls after its first token ends the request with a typed error (an `error` event in
 * a stream, which the SDK raises; an error answer otherwise) once the idle deadline passes — never a
 * hang, never a truncated answer passed off as whole.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedAnswer, startFakeOllama, type FakeOllama, type FakeOllamaModel } from "../fakes/ollama.js";
import { startSidecar, type SidecarProcess } from "../support/sidecar.js";
import { startWorker, type RunningWorker } from "../support/wrangler.js";

const PACED: FakeOllamaModel = { name: "paced", firstTokenMs: [1_000, 1_400], tokensPerSecond: [8, 12], answerTokens: 18 };
const MODEL = "local/paced:latest";
const PROMPT = "Tell me a long story about a lighthouse.";
/** The longest silence once an answer began: well above the paced home's gaps (~0.1 s), far below a hang. */
const IDLE_MS = 1_500;

let ollama: FakeOllama;
let worker: RunningWorker;
let sidecar: SidecarProcess;
let anthropic: Anthropic;
let openai: OpenAI;

beforeAll(async () => {
  ollama = await startFakeOllama({ models: [PACED] });
  ollama.loaded.set("paced:latest", Date.now() + 600_000);
  worker = await startWorker();
  const user = await worker.createUser("paced", { mode: "local_only", idleTimeoutMs: IDLE_MS, modelMap: [{ match: "claude-*", to: MODEL }] });
  sidecar = await startSidecar({ workerUrl: worker.url, token: user.sidecarToken, apiKey: user.apiKey, ollama: ollama.url });
  anthropic = new Anthropic({ apiKey: user.apiKey, baseURL: worker.url, maxRetries: 0 });
  openai = new OpenAI({ apiKey: user.apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });
}, 90_000);

afterAll(async () => {
  await sidecar?.stop();
  await worker?.stop();
  await ollama?.close();
});

const whole = expectedAnswer(PACED, PROMPT);
const ask = { model: "claude-haiku-4-5", max_tokens: 256, messages: [{ role: "user" as const, content: PROMPT }] };

describe("Anthropic's Messages API against a paced home", () => {
  it("non-streaming: the slow answer arrives whole", async () => {
    const { data, response } = await anthropic.messages.create(ask).withResponse();
    expect(response.headers.get("x-hearth-target")).toBe(MODEL);
    expect(data.content).toEqual([{ type: "text", text: whole }]);
    expect(data.stop_reason).toBe("end_turn");
  });

  it("streaming: the slow answer arrives whole, ending with message_stop", async () => {
    const stream = anthropic.messages.stream(ask);
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: "text", text: whole }]);
  });

  it("streaming: a stall after the first tokens ends with an error event the SDK raises, after the idle deadline", async () => {
    ollama.enqueueChat({ type: "stall", afterEvents: 3 });
    const started = Date.now();
    const err = await anthropic.messages.stream(ask).finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/upstream_timeout|broke after it began/);
    expect(Date.now() - started).toBeLessThan(IDLE_MS + 10_000);
  });

  it("non-streaming: a stall after the first tokens is a typed error answer, not a partial message", async () => {
    ollama.enqueueChat({ type: "stall", afterEvents: 3 });
    const err = await anthropic.messages.create(ask).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    const e = err as InstanceType<typeof Anthropic.APIError>;
    expect(e.status).toBe(504);
    expect((e.error as { type: string; error: { type: string } }).type).toBe("error");
  });
});

describe("OpenAI's Responses API against a paced home", () => {
  const input = { model: MODEL, input: PROMPT };

  it("non-streaming: the slow answer arrives whole", async () => {
    const { data, response } = await openai.responses.create(input).withResponse();
    expect(response.headers.get("x-hearth-target")).toBe(MODEL);
    expect(data.status).toBe("completed");
    expect(data.output_text).toBe(whole);
  });

  it("streaming: the slow answer arrives whole, ending with response.completed", async () => {
    const stream = openai.responses.stream(input);
    const deltas: string[] = [];
    stream.on("response.output_text.delta", (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(final.status).toBe("completed");
    expect(deltas.join("")).toBe(whole);
    const message = final.output.find((o) => o.type === "message");
    expect(message?.type === "message" && message.content).toEqual([expect.objectContaining({ type: "output_text", text: whole })]);
  });

  it("streaming: a stall after the first tokens ends with an error event the SDK raises", async () => {
    ollama.enqueueChat({ type: "stall", afterEvents: 3 });
    const err = await openai.responses
      .stream(input)
      .finalResponse()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/upstream_timeout|broke after it began/);
  });

  it("non-streaming: a stall after the first tokens is a typed 504, not a partial response", async () => {
    ollama.enqueueChat({ type: "stall", afterEvents: 3 });
    const err = await openai.responses.create(input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe("upstream_timeout");
  });
});

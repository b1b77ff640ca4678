import { RateLimitError } from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UnsupportedFeatureError } from "./errors.js";
import { callContext, chatRequest, chunkedResponse, message, RECORDED_SSE } from "./test-fixtures.js";
import { ALIVE } from "../../stream/chunks.js";
import { anthropicProvider } from "./index.js";

interface Sent {
  url: string;
  headers: Headers;
  body: Record<string, unknown>;
  signal: AbortSignal | undefined;
}

/** Replaces global fetch (which the SDK picks up) with one answering `respond`, recording each call. */
function stubFetch(respond: () => Response): Sent[] {
  const sent: Sent[] = [];
  vi.stubGlobal("fetch", async (url: string | URL | Request, init?: RequestInit) => {
    sent.push({
      url: String(url),
      headers: new Headers(init?.headers),
      body: JSON.parse(String(init?.body)) as Record<string, unknown>,
      signal: init?.signal ?? undefined,
    });
    return respond();
  });
  return sent;
}

const cfg = { apiKey: "sk-ant-test", baseURL: "http://anthropic.test" };
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("anthropicProvider.config", () => {
  const env = (vars: Partial<Env>) => vars as Env;

  it("is null without a key", () => {
    expect(anthropicProvider.config(env({}))).toBeNull();
    expect(anthropicProvider.config(env({ ANTHROPIC_API_KEY: "" }))).toBeNull();
  });

  it("reads the key and an optional base URL", () => {
    expect(anthropicProvider.config(env({ ANTHROPIC_API_KEY: "k" }))).toEqual({ apiKey: "k" });
    expect(anthropicProvider.config(env({ ANTHROPIC_API_KEY: "k", ANTHROPIC_BASE_URL: "http://x" }))).toEqual({
      apiKey: "k",
      baseURL: "http://x",
    });
  });
});

describe("anthropicProvider.stream: the request", () => {
  it("sends the translated request, streaming, with Hearth's request id", async () => {
    const sent = stubFetch(() => chunkedResponse([new TextEncoder().encode(RECORDED_SSE)]));
    await anthropicProvider.stream(chatRequest(), "claude-test", cfg, callContext());
    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toBe("http://anthropic.test/v1/messages");
    expect(sent[0]?.headers.get("x-hearth-request-id")).toBe("req-test-1");
    expect(sent[0]?.headers.get("authorization")).toBe("Bearer sk-ant-test");
    expect(sent[0]?.body).toEqual({
      model: "claude-test",
      max_tokens: 4096,
      messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }],
      stream: true,
    });
  });

  it("makes exactly one attempt: Hearth does the retrying", async () => {
    const sent = stubFetch(() =>
      json({ type: "error", error: { type: "rate_limit_error", message: "Slow down" } }, 429, { "retry-after": "2" }),
    );
    const err: unknown = await anthropicProvider.stream(chatRequest(), "m", cfg, callContext()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(sent).toHaveLength(1);
    expect(anthropicProvider.classifyError(err)).toEqual({
      kind: "http",
      status: 429,
      message: "Slow down",
      retryAfterMs: 2000,
    });
  });

  it("refuses audio before any request, as unsupported", async () => {
    const sent = stubFetch(() => json(message()));
    const audio = { type: "input_audio" as const, input_audio: { data: "A", format: "wav" } };
    const req = chatRequest({ messages: [{ role: "user", content: [audio] }] });
    const err: unknown = await anthropicProvider.stream(req, "m", cfg, callContext()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedFeatureError);
    expect(anthropicProvider.classifyError(err)).toMatchObject({ kind: "unsupported" });
    expect(sent).toHaveLength(0);
  });

  it("continues an answer by prefill: the text so far, trailing whitespace trimmed, as the last assistant turn", async () => {
    const sent = stubFetch(() => chunkedResponse([new TextEncoder().encode(RECORDED_SSE)]));
    await anthropicProvider.stream(anthropicProvider.continuation(chatRequest(), "Once upon a "), "m", cfg, callContext());
    expect((sent[0]?.body.messages as unknown[]).at(-1)).toEqual({ role: "assistant", content: [{ type: "text", text: "Once upon a" }] });
  });
});

describe("anthropicProvider.stream", () => {
  const sse = () => chunkedResponse([new TextEncoder().encode(RECORDED_SSE)]);

  it("asks for a stream and yields OpenAI chunks ending with usage", async () => {
    const sent = stubFetch(sse);
    const chunks = [];
    for await (const batch of await anthropicProvider.stream(chatRequest(), "claude-test", cfg, callContext())) if (batch !== ALIVE) chunks.push(...batch);
    expect(sent[0]?.body).toMatchObject({ stream: true, model: "claude-test" });
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 89 } });
    expect(sent[0]?.signal?.aborted).toBe(false);
  });

  it("rejects before any chunk when the upstream refuses", async () => {
    stubFetch(() => json({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }, 529));
    const err: unknown = await anthropicProvider.stream(chatRequest(), "m", cfg, callContext()).catch((e: unknown) => e);
    expect(anthropicProvider.classifyError(err)).toEqual({ kind: "http", status: 529, message: "Overloaded" });
  });

  it("aborts the upstream request when the loop is left early", async () => {
    const sent = stubFetch(sse);
    for await (const _ of await anthropicProvider.stream(chatRequest(), "m", cfg, callContext())) break;
    expect(sent[0]?.signal?.aborted).toBe(true);
  });
});

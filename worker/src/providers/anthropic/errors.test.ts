import Anthropic, { APIConnectionTimeoutError, APIError, APIUserAbortError } from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { classifyError, StreamTruncatedError, UnsupportedFeatureError } from "./errors.js";
import { chunkedResponse } from "./test-fixtures.js";

type FetchLike = (url: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** What the SDK throws when its one attempt meets this fetch. */
async function sdkError(fetch: FetchLike, opts: { timeout?: number; signal?: AbortSignal; stream?: boolean } = {}) {
  const client = new Anthropic({ apiKey: "k", maxRetries: 0, logLevel: "off", fetch, timeout: opts.timeout ?? 5_000 });
  const params = { model: "m", max_tokens: 10, messages: [{ role: "user" as const, content: "x" }] };
  try {
    if (opts.stream) {
      const events = await client.messages.create({ ...params, stream: true }, { signal: opts.signal });
      for await (const _ of events) void _;
    } else {
      await client.messages.create(params, { signal: opts.signal });
    }
  } catch (err) {
    return err;
  }
  throw new Error("expected the SDK to throw");
}

const errorResponse = (status: number, type: string, message: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ type: "error", error: { type, message }, request_id: "req_1" }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });

/** A fetch that never answers, rejecting only when its signal aborts. */
const hangingFetch: FetchLike = (_url, init) =>
  new Promise((_resolve, reject) => {
    init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
  });

describe("classifyError", () => {
  it("reads status, the upstream message and retry-after from a 429", async () => {
    const err = await sdkError(async () => errorResponse(429, "rate_limit_error", "Slow down", { "retry-after": "2" }));
    expect(classifyError(err)).toEqual({ kind: "http", status: 429, message: "Slow down", retryAfterMs: 2000 });
  });

  it("prefers retry-after-ms", async () => {
    const err = await sdkError(async () =>
      errorResponse(529, "overloaded_error", "Overloaded", { "retry-after-ms": "150", "retry-after": "9" }),
    );
    expect(classifyError(err)).toEqual({ kind: "http", status: 529, message: "Overloaded", retryAfterMs: 150 });
  });

  it("maps APIError.generate instances, without retryAfterMs when there is no header", () => {
    const err = APIError.generate(
      400,
      { type: "error", error: { type: "invalid_request_error", message: "max_tokens: too large" } },
      undefined,
      new Headers(),
    );
    expect(classifyError(err)).toEqual({ kind: "http", status: 400, message: "max_tokens: too large" });
  });

  it("gives a mid-stream error event the status its type implies", async () => {
    const sse = 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
    const err = await sdkError(async () => chunkedResponse([new TextEncoder().encode(sse)]), { stream: true });
    expect(classifyError(err)).toEqual({ kind: "http", status: 529, message: "Overloaded" });
  });

  it("maps the SDK's own timeout to timeout", async () => {
    const err = await sdkError(hangingFetch, { timeout: 20 });
    expect(err).toBeInstanceOf(APIConnectionTimeoutError);
    expect(classifyError(err)).toMatchObject({ kind: "timeout" });
  });

  it("maps our own abort to connection, not timeout", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    const err = await sdkError(hangingFetch, { signal: controller.signal });
    expect(err).toBeInstanceOf(APIUserAbortError);
    expect(classifyError(err)).toEqual({ kind: "connection", message: "aborted" });
  });

  it("maps a failed fetch to connection", async () => {
    const err = await sdkError(async () => {
      throw new TypeError("fetch failed");
    });
    expect(classifyError(err)).toMatchObject({ kind: "connection" });
  });

  it("maps a body cut mid-read (a bare TypeError) to connection", () => {
    expect(classifyError(new TypeError("terminated"))).toEqual({ kind: "connection", message: "terminated" });
  });

  it("maps its own errors: unsupported features and truncated streams", () => {
    expect(classifyError(new UnsupportedFeatureError("input_audio"))).toEqual({
      kind: "unsupported",
      message: "Anthropic does not accept input_audio content",
    });
    expect(classifyError(new StreamTruncatedError())).toMatchObject({ kind: "connection" });
  });

  it("maps anything else to invalid_response", () => {
    expect(classifyError(new SyntaxError("Unexpected token"))).toEqual({
      kind: "invalid_response",
      message: "Unexpected token",
    });
    expect(classifyError("weird")).toEqual({ kind: "invalid_response", message: "weird" });
  });
});

import { DEFAULT_RETRY, HearthError, type AttemptFailure, type RetryOptions } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import { ClientClosed, DeadlineExceeded } from "../execute/deadlines.js";
import { LocalFailure } from "../targets/frames.js";
import { HomeRefused, classifyHome } from "./home.js";
import { homeBody } from "./response.js";
import { decide, runEmbedding, type EmbeddingTarget } from "./run.js";

const RETRY: RetryOptions = { ...DEFAULT_RETRY, baseDelayMs: 1, maxDelayMs: 2 };

/** A target that plays `script`: a string is a served body, anything else is thrown. */
function scripted(script: unknown[], provider: "local" | "openai" = "openai") {
  let calls = 0;
  const target: EmbeddingTarget = {
    id: provider === "local" ? "local/e" : "openai/text-embedding-3-small",
    provider,
    model: "m",
    async attempt() {
      const step = script[calls++];
      if (typeof step === "string") return new Response(step).body as ReadableStream<Uint8Array>;
      throw step;
    },
    classify: (err) => (provider === "local" ? classifyHome(err) : ((err as { failure?: AttemptFailure }).failure ?? { kind: "connection" })),
  };
  return { target, calls: () => calls };
}

const http = (status: number, retryAfterMs?: number) => ({ failure: { kind: "http", status, message: `HTTP ${status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } as AttemptFailure });
const run = (target: EmbeddingTarget, signal = new AbortController().signal) => runEmbedding(target, { signal, retry: RETRY });
const failureOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as HearthError);

describe("decide", () => {
  it("retries what any target retries, and home's 'not now' on the same model (maybe another sidecar)", () => {
    expect(decide({ kind: "http", status: 429 }, 1, RETRY).action).toBe("retry");
    expect(decide({ kind: "unavailable", reason: "overloaded", contacted: true }, 1, RETRY).action).toBe("retry");
    expect(decide({ kind: "unavailable", reason: "disconnected", contacted: true }, 2, RETRY).action).toBe("retry");
    expect(decide({ kind: "unavailable", reason: "overloaded", contacted: true }, 3, RETRY).action).toBe("next");
  });

  it("never retries a refusal before contact, a timeout, a broken backend, or a bad request", () => {
    expect(decide({ kind: "unavailable", reason: "offline", contacted: false }, 1, RETRY).action).toBe("next");
    expect(decide({ kind: "timeout", reason: "timeout" }, 1, RETRY).action).toBe("next");
    expect(decide({ kind: "unavailable", reason: "error", contacted: true }, 1, RETRY).action).toBe("next");
    expect(decide({ kind: "http", status: 400 }, 1, RETRY).action).toBe("stop");
  });
});

describe("runEmbedding", () => {
  it("serves the first body, with the trace and attempts", async () => {
    const { target } = scripted(["{}"]);
    const r = await run(target);
    expect(r).toMatchObject({ attempts: 1, trace: [{ target: "openai/text-embedding-3-small", outcome: "served", status: 200 }] });
    expect(await new Response(r.body).text()).toBe("{}");
  });

  it("retries 429 and 5xx on the same model, then gives up with the typed error", async () => {
    const ok = scripted([http(429, 1), http(500), "{}"]);
    const r = await run(ok.target);
    expect(r.attempts).toBe(3);
    expect(r.trace.map((t) => [t.outcome, t.reason])).toEqual([["failed", "http_429"], ["failed", "http_500"], ["served", "ok"]]);
    const limited = scripted([http(429, 1), http(429, 1), http(429, 1)]);
    expect(await failureOf(run(limited.target))).toMatchObject({ code: "upstream_rate_limited", status: 429 });
    expect(limited.calls()).toBe(3);
  });

  it("passes a 400 on at once, and rethrows Hearth's own verdicts", async () => {
    const bad = scripted([http(400)]);
    expect(await failureOf(run(bad.target))).toMatchObject({ code: "upstream_error", status: 400 });
    expect(bad.calls()).toBe(1);
    const verdict = new HearthError("model_not_found", "no such model");
    expect(await failureOf(run(scripted([verdict]).target))).toBe(verdict);
  });

  it("answers home offline with 503 and retry-after, not a wait, and never another target", async () => {
    const offline = scripted([new HomeRefused("offline")], "local");
    const err = await failureOf(run(offline.target));
    expect(err).toMatchObject({ code: "no_target_available", status: 503, retryAfterSeconds: 10, attempts: [{ target: "local/e", outcome: "skipped", reason: "offline" }] });
    expect(offline.calls()).toBe(1);
    const full = scripted([new HomeRefused("overloaded")], "local");
    expect(await failureOf(run(full.target))).toMatchObject({ code: "no_target_available", retryAfterSeconds: 1 });
  });

  it("ends a home that timed out with 504, and one that went away after retries with 502", async () => {
    expect(await failureOf(run(scripted([new LocalFailure("timeout", "no vectors within 1000 ms")], "local").target))).toMatchObject({ code: "upstream_timeout", status: 504 });
    expect(await failureOf(run(scripted([new DeadlineExceeded("idle", 50)], "local").target))).toMatchObject({ code: "upstream_timeout" });
    const gone = scripted([new LocalFailure("disconnected", "x"), new LocalFailure("disconnected", "x"), new LocalFailure("disconnected", "x")], "local");
    expect(await failureOf(run(gone.target))).toMatchObject({ code: "upstream_error", status: 502 });
    expect(gone.calls()).toBe(3);
    const busy = scripted([new LocalFailure("overloaded", "full"), "{}"], "local");
    expect((await run(busy.target)).trace.map((t) => t.reason)).toEqual(["overloaded", "ok"]);
  });

  it("rethrows the client leaving", async () => {
    const controller = new AbortController();
    controller.abort(new ClientClosed());
    expect(await failureOf(run(scripted([new Error("aborted")]).target, controller.signal))).toBeInstanceOf(ClientClosed);
  });
});

describe("homeBody", () => {
  const json = async (s: ReadableStream<Uint8Array>) => JSON.parse(await new Response(s).text()) as { data: { embedding: unknown }[] };

  it("is OpenAI's list shape, base64 passed on as home sent it, float decoded", async () => {
    const one = "AACAPw=="; // [1]
    expect(await json(homeBody([one, "AAAAPwAAAMA="], "e", 5, "base64"))).toEqual({
      object: "list",
      data: [
        { object: "embedding", index: 0, embedding: one },
        { object: "embedding", index: 1, embedding: "AAAAPwAAAMA=" },
      ],
      model: "e",
      usage: { prompt_tokens: 5, total_tokens: 5 },
    });
    expect((await json(homeBody([one, "AAAAPwAAAMA="], "e", 5, "float"))).data.map((d) => d.embedding)).toEqual([[1], [0.5, -2]]);
  });

  it("writes a vector at a time, as the client reads", async () => {
    const reader = homeBody(["AACAPw==", "AACAPw=="], "e", 1, "float").getReader();
    const parts: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(new TextDecoder().decode(r.value));
    expect(parts).toEqual(['{"object":"list","data":[', '{"object":"embedding","index":0,"embedding":[1]}', ',{"object":"embedding","index":1,"embedding":[1]}', '],"model":"e","usage":{"prompt_tokens":1,"total_tokens":1}}']);
  });
});

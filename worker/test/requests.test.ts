import { describe, expect, it } from "vitest";
import { call, chat, newUser, type ErrorJson } from "./helpers.js";

describe("chat request validation", () => {
  it("400s malformed JSON", async () => {
    const u = await newUser();
    const r = await chat(u.apiKey, "{not json");
    expect(r.status).toBe(400);
    expect(((await r.json()) as ErrorJson).error.code).toBe("invalid_json");
  });

  it.each([
    [{ messages: [{ role: "user", content: "x" }] }, "model"],
    [{ model: "auto" }, "messages"],
    [{ model: "auto", messages: [] }, "messages"],
    [{ model: "auto", messages: [{ role: "user", content: 5 }] }, "messages[0].content"],
    [{ model: "auto", messages: [{ role: "wizard", content: "x" }] }, "messages[0].role"],
    [{ model: "auto", messages: [{ role: "user", content: "x" }], temperature: "hot" }, "temperature"],
    [{ model: "auto", messages: [{ role: "user", content: "x" }], max_tokens: -1 }, "max_tokens"],
    [{ model: "auto", messages: [{ role: "tool", content: "x" }] }, "messages[0].tool_call_id"],
    [{ model: "auto", messages: [{ role: "user", content: "x" }], tools: [{ type: "function", function: { name: "bad name!" } }] }, "tools[0].function.name"],
    [{ model: "auto", messages: [{ role: "user", content: "x" }], n: 3 }, "n"],
  ])("400s %j naming %s", async (body, param) => {
    const u = await newUser();
    const r = await chat(u.apiKey, body);
    expect(r.status).toBe(400);
    const err = ((await r.json()) as ErrorJson).error;
    expect(err).toMatchObject({ type: "invalid_request_error", param, hearth: true });
    expect(err.message).toContain(param);
  });

  it("ignores unknown fields", async () => {
    const u = await newUser();
    // No provider key is configured in this project: a valid request gets to routing and is told so.
    const r = await chat(u.apiKey, { model: "auto", messages: [{ role: "user", content: "x" }], some_future_field: { a: 1 } });
    expect(r.status).toBe(503);
  });

  it("404s an unknown model", async () => {
    const u = await newUser();
    const r = await chat(u.apiKey, { model: "mystery/model-9", messages: [{ role: "user", content: "x" }] });
    expect(r.status).toBe(404);
    expect(((await r.json()) as ErrorJson).error).toMatchObject({ code: "model_not_found", param: "model" });
  });

  it("413s a body over the configured limit, declared or chunked", async () => {
    const u = await newUser();
    const big = JSON.stringify({ model: "auto", messages: [{ role: "user", content: "x".repeat(4096) }] });
    const r = await chat(u.apiKey, big);
    expect(r.status).toBe(413);
    expect(((await r.json()) as ErrorJson).error.code).toBe("body_too_large");
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const chunked = await call("/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${u.apiKey}` },
      body: stream,
      // @ts-expect-error -- workerd needs duplex for a streamed request body
      duplex: "half",
    });
    expect(chunked.status).toBe(413);
  });

  it("says plainly when no cloud target is configured", async () => {
    const u = await newUser();
    const r = await chat(u.apiKey, { model: "auto", messages: [{ role: "user", content: "x" }] });
    expect(r.status).toBe(503);
    const err = ((await r.json()) as ErrorJson & { error: { attempts: { target: string; reason: string }[] } }).error;
    expect(err.code).toBe("no_target_available");
    expect(err.message).toMatch(/OPENAI_API_KEY or ANTHROPIC_API_KEY/);
    expect(err.message).toMatch(/No sidecar is connected/);
    expect(err.attempts.map((a) => [a.target, a.reason])).toEqual([
      ["local", "offline"],
      ["anthropic/claude-sonnet-4-5", "not_configured"],
      ["openai/gpt-4.1-mini", "not_configured"],
    ]);
    expect(r.headers.get("x-hearth-attempts")).toBe("0");
  });

  it("429s past the per-key rate limit", async () => {
    const u = await newUser();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await call("/v1/me", { headers: { authorization: `Bearer ${u.apiKey}` } })).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const r = await call("/v1/me", { headers: { authorization: `Bearer ${u.apiKey}` } });
    expect(r.headers.get("retry-after")).not.toBeNull();
    expect(((await r.json()) as ErrorJson).error.type).toBe("rate_limit_error");
  });

  it("answers /healthz and 404s unknown routes in OpenAI's error shape", async () => {
    expect((await call("/healthz")).status).toBe(200);
    const r = await call("/nope");
    expect(r.status).toBe(404);
    expect(((await r.json()) as ErrorJson).error.code).toBe("not_found");
  });
});

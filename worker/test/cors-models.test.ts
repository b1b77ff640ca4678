/**
 * CORS on the real app (the key check, rate limiter and onError behind it), GET /v1/models/{id} and
 * reasoning_effort's accepted values, in workerd. CORS settings other than the project's (off) are
 * given by calling the app with a copy of the env: the config is read per env object.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import { call, chat, newUser, type ErrorJson } from "./helpers.js";

const APP = "https://app.example";
const app = createApp();

async function callWith(vars: Record<string, string>, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const r = await app.fetch(new Request(`https://hearth.test${path}`, init), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return r;
}
const anyOrigin = (path: string, init: RequestInit = {}) => callWith({ HEARTH_CORS_ORIGINS: "*" }, path, init);
const preflight = { method: "OPTIONS", headers: { origin: APP, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" } };
const corsHeaderNames = (r: Response) => [...r.headers.keys()].filter((k) => k.startsWith("access-control-"));

describe("CORS, off (the default)", () => {
  it("answers a preflight 204 without a key but allows nothing", async () => {
    const r = await call("/v1/chat/completions", preflight);
    expect(r.status).toBe(204);
    expect(corsHeaderNames(r)).toEqual([]);
  });

  it("adds nothing to answers", async () => {
    const u = await newUser();
    const r = await call("/v1/me", { headers: { origin: APP, authorization: `Bearer ${u.apiKey}` } });
    expect(r.status).toBe(200);
    expect(corsHeaderNames(r)).toEqual([]);
    expect(r.headers.get("vary")).toBeNull();
  });
});

describe("CORS, any origin", () => {
  it("answers a preflight for any /v1 route without a key", async () => {
    for (const path of ["/v1/chat/completions", "/v1/models/local%2Fllama3.2:latest", "/v1/no-such-route"]) {
      const r = await anyOrigin(path, preflight);
      expect(r.status).toBe(204);
      expect(r.headers.get("access-control-allow-origin")).toBe("*");
      expect(r.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
      expect(r.headers.get("x-request-id")).not.toBeNull();
    }
  });

  it("adds the headers to a 401, a 404 and a 429 as onError made them", async () => {
    const noKey = await anyOrigin("/v1/models", { headers: { origin: APP } });
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get("access-control-allow-origin")).toBe("*");
    expect(noKey.headers.get("access-control-expose-headers")).toContain("x-hearth-error");

    const u = await newUser();
    const auth = { origin: APP, authorization: `Bearer ${u.apiKey}` };
    const noRoute = await anyOrigin("/v1/nope", { headers: auth });
    expect(noRoute.status).toBe(404);
    expect(noRoute.headers.get("access-control-allow-origin")).toBe("*");

    // The worker project allows 5 requests per minute per key; one was spent above.
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await anyOrigin("/v1/me", { headers: auth });
      statuses.push(last.status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(last?.headers.get("access-control-allow-origin")).toBe("*");
    expect(last?.headers.get("access-control-expose-headers")).toContain("retry-after");
    expect(last?.headers.get("retry-after")).not.toBeNull();
  });

  it("is not offered on /admin or /healthz", async () => {
    const adminPreflight = await anyOrigin("/admin/users", preflight);
    expect(adminPreflight.status).not.toBe(204);
    expect(corsHeaderNames(adminPreflight)).toEqual([]);
    expect(corsHeaderNames(await anyOrigin("/healthz", { headers: { origin: APP } }))).toEqual([]);
  });
});

describe("GET /v1/models/{id}", () => {
  const get = (key: string, path: string) => call(path, { headers: { authorization: `Bearer ${key}` } });

  it("answers auto in OpenAI's model shape", async () => {
    const u = await newUser();
    const r = await get(u.apiKey, "/v1/models/auto");
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ id: "auto", object: "model", created: 0, owned_by: "hearth", capabilities: ["chat"] });
  });

  it("404s model_not_found for an id the list does not hold, its '/' encoded or not", async () => {
    const u = await newUser();
    // No provider key in this project: the cloud targets are not listed, so not retrievable either.
    for (const path of ["/v1/models/openai%2Fgpt-4.1-mini", "/v1/models/openai/gpt-4.1-mini", "/v1/models/local%2Fllama3.2:latest", "/v1/models/nope"]) {
      const r = await get(u.apiKey, path);
      expect(r.status).toBe(404);
      const err = ((await r.json()) as ErrorJson).error;
      expect(err).toMatchObject({ code: "model_not_found", param: "model", type: "invalid_request_error" });
    }
  });

  it("names the decoded id in its message", async () => {
    const u = await newUser();
    const err = ((await (await get(u.apiKey, "/v1/models/local%2Fllama3.2:latest")).json()) as ErrorJson).error;
    expect(err.message).toContain("'local/llama3.2:latest'");
  });
});

describe("reasoning_effort", () => {
  const body = (effort: unknown) => ({ model: "auto", messages: [{ role: "user", content: "x" }], reasoning_effort: effort });

  it.each(["none", "minimal", "low", "medium", "high", "xhigh", "max"])("accepts %s (the request gets to routing)", async (effort) => {
    const u = await newUser();
    // No target is configured here: a valid body is answered 503 by routing, an invalid one 400 before it.
    expect((await chat(u.apiKey, body(effort))).status).toBe(503);
  });

  it("400s a value OpenAI does not define, naming the field", async () => {
    const u = await newUser();
    const r = await chat(u.apiKey, body("extreme"));
    expect(r.status).toBe(400);
    expect(((await r.json()) as ErrorJson).error).toMatchObject({ code: "invalid_request", param: "reasoning_effort" });
  });
});

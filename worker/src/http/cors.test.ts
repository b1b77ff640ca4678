import { HearthError } from "@hearth/shared";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { readConfig, type CorsOrigins } from "../config.js";
import {
  CORS_ALLOWED_HEADERS,
  CORS_EXPOSED_HEADERS,
  allowedOrigin,
  answerHeaders,
  cors,
  isPreflight,
  preflightHeaders,
} from "./cors.js";
import { onError } from "./errors.js";
import type { AppEnv } from "./types.js";

const APP = "https://app.example";
const LIST: CorsOrigins = [APP, "http://localhost:5173"];
const envWith = (origins: string | undefined) => ({ HEARTH_CORS_ORIGINS: origins }) as unknown as Env;
const originsOf = (value: string | undefined) => readConfig(envWith(value)).corsOrigins;
const asObject = (list: [string, string][]) => Object.fromEntries(list);

describe("HEARTH_CORS_ORIGINS", () => {
  it("is off when unset or empty", () => {
    expect(originsOf(undefined)).toEqual([]);
    expect(originsOf("")).toEqual([]);
    expect(originsOf(" , ")).toEqual([]);
  });

  it("is any origin when `*` appears anywhere in it", () => {
    expect(originsOf("*")).toBe("*");
    expect(originsOf("https://a.example, *")).toBe("*");
  });

  it("keeps each entry as the origin a browser sends, dropping what is no origin", () => {
    expect(originsOf("https://App.Example/, http://localhost:5173,https://app.example:443, example.com, null, localhost:3000")).toEqual([
      "https://app.example",
      "http://localhost:5173",
    ]);
  });
});

describe("allowedOrigin", () => {
  it("allows nothing when off, everything as `*`, and exact matches of a list", () => {
    expect(allowedOrigin([], APP)).toBeUndefined();
    expect(allowedOrigin("*", APP)).toBe("*");
    expect(allowedOrigin("*", null)).toBe("*");
    expect(allowedOrigin(LIST, APP)).toBe(APP);
    expect(allowedOrigin(LIST, "https://app.example.evil")).toBeUndefined();
    expect(allowedOrigin(LIST, "http://app.example")).toBeUndefined();
    expect(allowedOrigin(LIST, "null")).toBeUndefined();
    expect(allowedOrigin(LIST, null)).toBeUndefined();
  });
});

describe("isPreflight", () => {
  const req = (method: string, headers: Record<string, string>) => new Request("https://hearth.test/v1/models", { method, headers });
  it("is OPTIONS with an Origin and Access-Control-Request-Method, nothing less", () => {
    expect(isPreflight(req("OPTIONS", { origin: APP, "access-control-request-method": "POST" }))).toBe(true);
    expect(isPreflight(req("OPTIONS", { origin: APP }))).toBe(false);
    expect(isPreflight(req("OPTIONS", { "access-control-request-method": "POST" }))).toBe(false);
    expect(isPreflight(req("GET", { origin: APP, "access-control-request-method": "POST" }))).toBe(false);
  });
});

describe("preflightHeaders", () => {
  it("allows an allowed origin, echoing the headers it asks for as tokens only", () => {
    const h = asObject(preflightHeaders(LIST, APP, "Authorization, content-type,X-Stainless-OS, bad header, x-hearth-privacy"));
    expect(h).toEqual({
      "access-control-allow-origin": APP,
      "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
      "access-control-allow-headers": "authorization, content-type, x-stainless-os, x-hearth-privacy",
      "access-control-max-age": "7200",
      vary: "Access-Control-Request-Headers",
    });
    // Object.fromEntries keeps the last vary; both are sent.
    expect(preflightHeaders(LIST, APP, "authorization").filter(([n]) => n === "vary").map(([, v]) => v)).toEqual(["Origin", "Access-Control-Request-Headers"]);
  });

  it("falls back to the documented list when the preflight names no headers", () => {
    const h = asObject(preflightHeaders("*", APP, null));
    expect(h["access-control-allow-origin"]).toBe("*");
    expect(h["access-control-allow-headers"]).toBe(CORS_ALLOWED_HEADERS);
    for (const name of ["authorization", "x-api-key", "anthropic-version", "x-hearth-privacy", "x-stainless-retry-count"]) {
      expect(CORS_ALLOWED_HEADERS.split(", ")).toContain(name);
    }
    expect(h.vary).toBeUndefined();
  });

  it("gives a disallowed origin no access-control-* header (only vary, with a list)", () => {
    expect(preflightHeaders(LIST, "https://evil.example", "authorization")).toEqual([["vary", "Origin"]]);
    expect(preflightHeaders([], APP, "authorization")).toEqual([]);
  });
});

describe("answerHeaders", () => {
  it("allows and exposes Hearth's headers to an allowed origin", () => {
    expect(answerHeaders(LIST, APP)).toEqual([
      ["access-control-allow-origin", APP],
      ["access-control-expose-headers", CORS_EXPOSED_HEADERS],
      ["vary", "Origin"],
    ]);
    expect(CORS_EXPOSED_HEADERS.split(", ")).toEqual(["x-hearth-target", "x-hearth-attempts", "x-hearth-trace", "x-hearth-rule", "x-hearth-error", "x-request-id", "retry-after"]);
  });

  it("does not vary by origin under `*`, and says nothing when off", () => {
    expect(answerHeaders("*", null).map(([n]) => n)).toEqual(["access-control-allow-origin", "access-control-expose-headers"]);
    expect(answerHeaders([], APP)).toEqual([]);
    expect(answerHeaders(LIST, "https://evil.example")).toEqual([["vary", "Origin"]]);
  });
});

describe("cors middleware", () => {
  const app = new Hono<AppEnv>();
  app.use("*", cors());
  // Stands in for the key check: a preflight must never reach it.
  app.use("*", async (c, next) => {
    if (!c.req.header("authorization")) throw new HearthError("missing_api_key", "Missing API key.");
    await next();
  });
  app.get("/ok", (c) => c.json({ ok: true }, 200, { "x-hearth-target": "openai/gpt-4o-mini" }));
  app.get("/stream", () => new Response("data: [DONE]\n\n", { headers: { "content-type": "text/event-stream" } }));
  app.onError(onError);
  const env = envWith(APP);
  const call = (path: string, headers: Record<string, string>, method = "GET") => app.request(path, { method, headers }, env);

  it("answers a preflight 204 without a key", async () => {
    const r = await call("/ok", { origin: APP, "access-control-request-method": "POST" }, "OPTIONS");
    expect(r.status).toBe(204);
    expect(r.headers.get("access-control-allow-origin")).toBe(APP);
    expect(r.headers.get("x-hearth-error")).toBeNull();
  });

  it("adds the headers to an error the app's onError made, and to a stream", async () => {
    const err = await call("/ok", { origin: APP });
    expect(err.status).toBe(401);
    expect(err.headers.get("access-control-allow-origin")).toBe(APP);
    expect(err.headers.get("x-hearth-error")).toBe("missing_api_key");
    const stream = await call("/stream", { origin: APP, authorization: "Bearer k" });
    expect(stream.headers.get("access-control-allow-origin")).toBe(APP);
    expect(await stream.text()).toBe("data: [DONE]\n\n");
  });

  it("leaves a disallowed origin's answer without CORS headers", async () => {
    const r = await call("/ok", { origin: "https://evil.example", authorization: "Bearer k" });
    expect(r.status).toBe(200);
    expect([...r.headers.keys()].filter((k) => k.startsWith("access-control-"))).toEqual([]);
    expect(r.headers.get("vary")).toBe("Origin");
  });
});

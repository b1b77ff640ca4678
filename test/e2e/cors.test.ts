/**
 * CORS end to end: real `wrangler dev` with HEARTH_CORS_ORIGINS set to two origins, the fake OpenAI
 * upstream, and raw fetch as a browser would send it (Origin, and the preflight before a request with
 * an Authorization header). Asserted: the preflight's answer without a key, which origins are allowed,
 * and the headers on a JSON answer, a stream, a 401 and a 404.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI } from "../fakes/openai.js";
import type { FakeServer } from "../fakes/harness.js";
import { postChat, sseChunks, streamText } from "../support/chat.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

const APP = "https://app.example";
const DEV = "http://localhost:5173";
const EVIL = "https://evil.example";
const MODEL = "openai/gpt-4o-mini";
const EXPOSED = ["x-hearth-target", "x-hearth-attempts", "x-hearth-trace", "x-hearth-rule", "x-hearth-error", "x-request-id", "retry-after"];
/** What the openai SDK's preflight asks for (its x-stainless-* set), as a browser lists them. */
const SDK_HEADERS = "authorization,content-type,x-stainless-arch,x-stainless-lang,x-stainless-os,x-stainless-package-version,x-stainless-retry-count,x-stainless-runtime,x-stainless-runtime-version,x-stainless-timeout";

let fake: FakeServer;
let worker: RunningWorker;
let apiKey: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  // A trailing slash and upper case, as an operator might write them; browsers send neither.
  worker = await startWorker({ vars: { ...cloudVars(fake), HEARTH_CORS_ORIGINS: `https://App.Example/, ${DEV}`, HEARTH_AUTO_TARGETS: MODEL } });
  apiKey = (await worker.createUser("browser")).apiKey;
});
afterAll(async () => {
  await worker?.stop();
  await fake?.close();
});

const preflight = (path: string, origin: string, method = "POST") =>
  fetch(`${worker.url}${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": SDK_HEADERS },
  });
const corsHeaderNames = (r: Response) => [...r.headers.keys()].filter((k) => k.startsWith("access-control-"));
const varies = (r: Response) => (r.headers.get("vary") ?? "").split(",").map((v) => v.trim().toLowerCase());
const ask = { model: MODEL, messages: [{ role: "user", content: "hello from a page" }] };

function expectAllowed(r: Response, origin: string): void {
  expect(r.headers.get("access-control-allow-origin")).toBe(origin);
  expect(r.headers.get("access-control-allow-credentials")).toBeNull();
  expect(r.headers.get("access-control-expose-headers")?.split(", ")).toEqual(EXPOSED);
  expect(varies(r)).toContain("origin");
}

describe("CORS preflight", () => {
  it("answers 204 without a key for an allowed origin, allowing the SDK's headers", async () => {
    const r = await preflight("/v1/chat/completions", APP);
    expect(r.status).toBe(204);
    expect(r.headers.get("access-control-allow-origin")).toBe(APP);
    expect(r.headers.get("access-control-allow-methods")).toBe("GET, POST, DELETE, OPTIONS");
    expect(r.headers.get("access-control-allow-headers")).toBe(SDK_HEADERS.split(",").join(", "));
    expect(r.headers.get("access-control-max-age")).toBe("7200");
    expect(varies(r)).toEqual(expect.arrayContaining(["origin", "access-control-request-headers"]));
    expect(r.headers.get("x-hearth-error")).toBeNull();
    expect(await r.text()).toBe("");
  });

  it("answers any /v1 route, the other listed origin, and GET", async () => {
    for (const [path, origin, method] of [["/v1/models/openai%2Fgpt-4o-mini", DEV, "GET"], ["/v1/stats", APP, "DELETE"], ["/v1/route/explain", DEV, "POST"]] as const) {
      const r = await preflight(path, origin, method);
      expect(r.status).toBe(204);
      expect(r.headers.get("access-control-allow-origin")).toBe(origin);
    }
  });

  it("gives a disallowed origin a 204 with no access-control-* header, so the browser refuses", async () => {
    const r = await preflight("/v1/chat/completions", EVIL);
    expect(r.status).toBe(204);
    expect(corsHeaderNames(r)).toEqual([]);
    expect(varies(r)).toContain("origin");
  });
});

describe("CORS on answers", () => {
  it("allows an allowed origin to read a JSON answer and Hearth's headers", async () => {
    const r = await postChat(worker.url, apiKey, ask, { headers: { origin: APP } });
    expect(r.status).toBe(200);
    expectAllowed(r, APP);
    expect(r.headers.get("x-hearth-target")).toBe(MODEL);
    expect(((await r.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe("Echo: hello from a page");
  });

  it("allows a streamed answer, whole", async () => {
    const r = await postChat(worker.url, apiKey, { ...ask, stream: true }, { headers: { origin: DEV } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/event-stream");
    expectAllowed(r, DEV);
    const text = await r.text();
    expect(streamText(sseChunks(text))).toBe("Echo: hello from a page");
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("allows a 401 to be read, with its x-hearth-error", async () => {
    const r = await fetch(`${worker.url}/v1/chat/completions`, { method: "POST", headers: { origin: APP, "content-type": "application/json" }, body: JSON.stringify(ask) });
    expect(r.status).toBe(401);
    expectAllowed(r, APP);
    expect(r.headers.get("x-hearth-error")).toBe("missing_api_key");
  });

  it("allows a 404 to be read: an unknown model and an unknown route", async () => {
    const model = await postChat(worker.url, apiKey, { ...ask, model: "nope/model" }, { headers: { origin: APP } });
    expect(model.status).toBe(404);
    expectAllowed(model, APP);
    expect(((await model.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
    const route = await fetch(`${worker.url}/v1/no-such-route`, { headers: { origin: APP, authorization: `Bearer ${apiKey}` } });
    expect(route.status).toBe(404);
    expectAllowed(route, APP);
  });

  it("adds no access-control-* header for a disallowed origin or none, only vary", async () => {
    for (const headers of [{ origin: EVIL }, {}] as Record<string, string>[]) {
      const r = await postChat(worker.url, apiKey, ask, { headers });
      expect(r.status).toBe(200);
      expect(corsHeaderNames(r)).toEqual([]);
      expect(varies(r)).toContain("origin");
    }
  });

  it("is not offered by the admin API", async () => {
    const r = await fetch(`${worker.url}/admin/users`, {
      method: "OPTIONS",
      headers: { origin: APP, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
    });
    expect(r.status).not.toBe(204);
    expect(corsHeaderNames(r)).toEqual([]);
  });
});

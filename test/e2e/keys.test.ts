/**
 * The front door's user errors end to end, through real `wrangler dev` and D1: API keys, revocation,
 * sidecar tokens, the admin boundary, body validation and size limits, and /v1/models. No request
 * here needs an upstream; OpenAI's base URL points at a closed port so nothing could leak out.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type RunningWorker } from "../support/wrangler.js";

const MAX_BODY_BYTES = 4096;

let worker: RunningWorker;
let alice: { id: string; name: string; apiKey: string; sidecarToken: string };
let bob: { id: string; name: string; apiKey: string; sidecarToken: string };

interface ErrorJson {
  error: { code: string; type: string; param: string | null; message: string; hearth: boolean };
}

const clientFor = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${worker.url}/v1`, maxRetries: 0 });

function call(path: string, key: string | undefined, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (key) headers.set("authorization", `Bearer ${key}`);
  return fetch(`${worker.url}${path}`, { ...init, headers });
}

const chat = (key: string, body: string | object, headers: Record<string, string> = {}) =>
  call("/v1/chat/completions", key, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

async function expectHearthError(r: Response, status: number, code: string): Promise<ErrorJson["error"]> {
  expect(r.status).toBe(status);
  expect(r.headers.get("x-hearth-error")).toBe(code);
  const body = (await r.json()) as ErrorJson;
  expect(body.error.code).toBe(code);
  expect(body.error.hearth).toBe(true);
  return body.error;
}

beforeAll(async () => {
  worker = await startWorker({
    vars: {
      OPENAI_API_KEY: "test-openai-key",
      OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
      HEARTH_AUTO_TARGETS: "openai/gpt-4o-mini,anthropic/claude-x,openai/gpt-4.1",
      HEARTH_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
    },
  });
  [alice, bob] = await Promise.all([worker.createUser("alice"), worker.createUser("bob")]);
});
afterAll(async () => {
  await worker?.stop();
});

describe("API keys", () => {
  it("refuses an unknown key with 401 invalid_api_key, which the openai client raises as AuthenticationError", async () => {
    const err = await clientFor("hk_not-a-real-key")
      .chat.completions.create({ model: "auto", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe("invalid_api_key");

    await expectHearthError(await call("/v1/models", "hk_not-a-real-key"), 401, "invalid_api_key");
  });

  it("refuses a request without any key with 401 missing_api_key", async () => {
    await expectHearthError(await call("/v1/models", undefined), 401, "missing_api_key");
  });

  it("stops accepting a key within 6 s of its revocation through the admin API", async () => {
    const user = await worker.createUser("revokee");
    expect((await call("/v1/me", user.apiKey)).status).toBe(200); // now in the auth cache
    const detail = (await (await worker.admin("GET", `/users/${user.id}`)).json()) as {
      credentials: { id: string; kind: string; prefix: string }[];
    };
    const cred = detail.credentials.find((c) => c.kind === "api" && user.apiKey.startsWith(c.prefix));
    expect(cred).toBeDefined();
    const revoked = await worker.admin("DELETE", `/users/${user.id}/credentials/${cred!.id}`);
    expect(revoked.status).toBe(200);

    const started = Date.now();
    let status = 200;
    while (Date.now() - started < 6_000) {
      status = (await call("/v1/me", user.apiKey)).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(401);
    await expectHearthError(await call("/v1/models", user.apiKey), 401, "invalid_api_key");
    expect((await call("/v1/me", alice.apiKey)).status).toBe(200); // others are untouched
  });

  it("does not take a sidecar token as an API key", async () => {
    expect(alice.sidecarToken).not.toBe(alice.apiKey);
    await expectHearthError(await call("/v1/me", alice.sidecarToken), 401, "invalid_api_key");
    await expectHearthError(await chat(alice.sidecarToken, { model: "auto", messages: [{ role: "user", content: "x" }] }), 401, "invalid_api_key");
  });

  it("keeps a user's key out of the admin API and shows it only its own user", async () => {
    await expectHearthError(await call("/admin/users", bob.apiKey), 401, "invalid_admin_token");
    await expectHearthError(
      await call("/admin/users", bob.apiKey, { method: "POST", body: JSON.stringify({ name: "mallory" }) }),
      401,
      "invalid_admin_token",
    );
    const r = await call("/v1/me", bob.apiKey);
    expect(r.status).toBe(200);
    const me = (await r.json()) as Record<string, unknown>;
    expect(me).toEqual({ id: bob.id, name: "bob", policy: {} });
    expect(JSON.stringify(me)).not.toContain(alice.id);
  });
});

describe("request bodies", () => {
  it("answers malformed JSON with 400 invalid_json", async () => {
    const err = await expectHearthError(await chat(alice.apiKey, '{"model": "auto", "messages": ['), 400, "invalid_json");
    expect(err.type).toBe("invalid_request_error");
  });

  it("answers a field of the wrong type with 400 naming the field in error.param", async () => {
    const r = await chat(alice.apiKey, { model: "auto", messages: [{ role: "user", content: 42 }] });
    const err = await expectHearthError(r, 400, "invalid_request");
    expect(err.param).toBe("messages[0].content");
    expect(err.message).toContain("messages[0].content");

    const r2 = await chat(alice.apiKey, { model: "auto", messages: [{ role: "user", content: "x" }], temperature: "hot" });
    expect((await expectHearthError(r2, 400, "invalid_request")).param).toBe("temperature");

    // Through the openai client, the same 400 is a BadRequestError carrying the param.
    const thrown = await clientFor(alice.apiKey)
      .chat.completions.create({ model: "auto", messages: [{ role: "user", content: "x" }], n: 2 })
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(OpenAI.BadRequestError);
    expect((thrown as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("n");
  });

  it("refuses a body over HEARTH_MAX_BODY_BYTES with 413 body_too_large", async () => {
    const big = { model: "auto", messages: [{ role: "user", content: "x".repeat(MAX_BODY_BYTES) }] };
    const err = await expectHearthError(await chat(alice.apiKey, big), 413, "body_too_large");
    expect(err.message).toContain(String(MAX_BODY_BYTES));
  });

  it("refuses an oversized chunked body that declares no content-length", async () => {
    // Just over the limit and in one chunk: the whole body is sent before Hearth answers, so the
    // client never races the early 413 with a write into a closed connection.
    const bytes = new TextEncoder().encode(
      JSON.stringify({ model: "auto", messages: [{ role: "user", content: "y".repeat(MAX_BODY_BYTES) }] }),
    );
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    const r = await call("/v1/chat/completions", alice.apiKey, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
    await expectHearthError(r, 413, "body_too_large");
    // The refused body is read to its end, not cut: the next request (on the kept-alive connection) is
    // answered. Cutting it hung the next request under wrangler dev's asset router.
    const next = await call("/v1/models", alice.apiKey, { signal: AbortSignal.timeout(5_000) });
    expect(next.status).toBe(200);
  });
});

describe("GET /v1/models", () => {
  it("lists auto and the configured auto targets in OpenAI's list shape", async () => {
    const models = [];
    for await (const m of clientFor(alice.apiKey).models.list()) models.push(m);
    // anthropic/claude-x is left out: this deployment has no Anthropic key.
    expect(models.map((m) => m.id)).toEqual(["auto", "openai/gpt-4o-mini", "openai/gpt-4.1"]);
    for (const m of models) {
      expect(m.object).toBe("model");
      expect(typeof m.created).toBe("number");
      expect(typeof m.owned_by).toBe("string");
    }
    expect(models.find((m) => m.id === "openai/gpt-4o-mini")?.owned_by).toBe("openai");
  });

  it("lists a user's own autoTargets policy instead of the deployment's", async () => {
    const carol = await worker.createUser("carol", { autoTargets: ["openai/gpt-4o", "anthropic/claude-x"] });
    const r = await call("/v1/models", carol.apiKey);
    expect(r.status).toBe(200);
    const list = (await r.json()) as { object: string; data: { id: string }[] };
    expect(list.object).toBe("list");
    expect(list.data.map((m) => m.id)).toEqual(["auto", "openai/gpt-4o"]);
  });
});

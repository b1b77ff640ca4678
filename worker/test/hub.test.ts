/**
 * The per-user SidecarHub inside workerd: sockets opened through the Worker's connect route, real
 * Durable Objects and D1. What a second sidecar does, and that tokens only reach their own user's hub.
 */
import { env } from "cloudflare:test";
import type { SidecarFrame, SidecarState, WorkerFrame } from "@hearth/shared";
import { afterEach, describe, expect, it } from "vitest";
import { call, chat, newUser } from "./helpers.js";

const state = (model: string): SidecarState => ({
  models: [{ id: model, backend: "ollama", contextLength: 4096, loaded: true, tools: false, tokensPerSecond: 0 }],
  slots: { total: 2, free: 2 },
  queue: { depth: 0, max: 2 },
  loading: [],
  freeMemoryBytes: 1e9,
  draining: false,
});

interface TestSocket {
  ws: WebSocket;
  frames: WorkerFrame[];
  closed: Promise<number>;
  send(frame: SidecarFrame): void;
  next(t: WorkerFrame["t"]): Promise<WorkerFrame>;
}

const open: WebSocket[] = [];
afterEach(() => {
  for (const ws of open.splice(0)) {
    try {
      ws.close(1000);
    } catch {
      // already closed
    }
  }
});

async function connect(token: string): Promise<TestSocket> {
  const r = await call("/v1/sidecar/connect", { headers: { upgrade: "websocket", authorization: `Bearer ${token}` } });
  expect(r.status).toBe(101);
  const ws = r.webSocket;
  if (!ws) throw new Error("no webSocket on the 101");
  ws.accept();
  open.push(ws);
  const frames: WorkerFrame[] = [];
  const waiters: { t: string; resolve: (f: WorkerFrame) => void }[] = [];
  ws.addEventListener("message", (e) => {
    const frame = JSON.parse(String(e.data)) as WorkerFrame;
    frames.push(frame);
    const i = waiters.findIndex((w) => w.t === frame.t);
    if (i >= 0) waiters.splice(i, 1)[0]?.resolve(frame);
  });
  const closed = new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));
  return {
    ws,
    frames,
    closed,
    send: (f) => ws.send(JSON.stringify(f)),
    next: (t) => {
      const have = frames.find((f) => f.t === t);
      return have ? Promise.resolve(have) : new Promise((resolve) => waiters.push({ t, resolve }));
    },
  };
}

async function hello(sock: TestSocket, sidecarId: string, model: string) {
  await sock.next("welcome");
  sock.send({ t: "hello", v: 1, sidecarId, state: state(model) });
}

async function snapshot(userId: string) {
  return env.SIDECAR_HUB.get(env.SIDECAR_HUB.idFromName(userId)).snapshot();
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("condition not reached");
}

describe("sidecar connections", () => {
  it("refuses an API key, a wrong token and a plain GET", async () => {
    const u = await newUser();
    expect((await call("/v1/sidecar/connect", { headers: { upgrade: "websocket", authorization: `Bearer ${u.apiKey}` } })).status).toBe(401);
    expect((await call("/v1/sidecar/connect", { headers: { upgrade: "websocket", authorization: "Bearer hs_nope" } })).status).toBe(401);
    expect((await call("/v1/sidecar/connect", { headers: { authorization: `Bearer ${u.sidecarToken}` } })).status).toBe(426);
  });

  it("welcomes a sidecar and lists its models after hello", async () => {
    const u = await newUser();
    const sock = await connect(u.sidecarToken);
    expect(await sock.next("welcome")).toMatchObject({ t: "welcome", v: 1 });
    await hello(sock, "pc", "qwen");
    const snap = await until(() => snapshot(u.id), (s) => s.sidecars.length === 1);
    expect(snap.sidecars[0]).toMatchObject({ sidecarId: "pc", models: [{ id: "qwen" }], breaker: "closed" });
    const models = (await (await call("/v1/models", { headers: { authorization: `Bearer ${u.apiKey}` } })).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toContain("local/qwen");
  });

  it("adds a second machine beside the first, and replaces the same installation's old socket", async () => {
    const u = await newUser();
    const pc = await connect(u.sidecarToken);
    await hello(pc, "pc", "qwen");
    const mac = await connect(u.sidecarToken);
    await hello(mac, "mac", "llama");
    const both = await until(() => snapshot(u.id), (s) => s.sidecars.length === 2);
    expect(both.sidecars.map((s) => s.sidecarId).sort()).toEqual(["mac", "pc"]);

    const pcAgain = await connect(u.sidecarToken);
    await hello(pcAgain, "pc", "qwen");
    expect(await pc.closed).toBe(4000);
    const after = await until(() => snapshot(u.id), (s) => s.sidecars.length === 2 && pc.ws.readyState !== WebSocket.OPEN);
    expect(after.sidecars.map((s) => s.sidecarId).sort()).toEqual(["mac", "pc"]);
  });

  it("sends a user's request only to that user's sidecar, and relays its answer", async () => {
    const a = await newUser("a");
    const b = await newUser("b");
    const sockA = await connect(a.sidecarToken);
    await hello(sockA, "a-pc", "qwen");
    const sockB = await connect(b.sidecarToken);
    await hello(sockB, "b-pc", "qwen");
    await until(() => snapshot(a.id), (s) => s.sidecars.length === 1);
    await until(() => snapshot(b.id), (s) => s.sidecars.length === 1);

    const pending = chat(a.apiKey, { model: "local/qwen", messages: [{ role: "user", content: "for a only" }] });
    const req = (await sockA.next("request")) as Extract<WorkerFrame, { t: "request" }>;
    expect(req.body.messages[0]?.content).toBe("for a only");
    sockA.send({ t: "start", id: req.id, seq: 0, model: "qwen" });
    sockA.send({ t: "delta", id: req.id, seq: 1, text: "hello " });
    sockA.send({ t: "delta", id: req.id, seq: 2, text: "a" });
    sockA.send({ t: "end", id: req.id, seq: 3, finishReason: "stop", usage: { prompt_tokens: 3, completion_tokens: 2 } });
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.headers.get("x-hearth-target")).toBe("local/qwen");
    const body = (await r.json()) as { choices: { message: { content: string } }[]; usage: { total_tokens: number } };
    expect(body.choices[0]?.message.content).toBe("hello a");
    expect(body.usage.total_tokens).toBe(5);
    expect(sockB.frames.filter((f) => f.t === "request")).toHaveLength(0);
  });

  it("drops frames a sidecar sends for requests it was not given", async () => {
    const a = await newUser("a");
    const sock1 = await connect(a.sidecarToken);
    await hello(sock1, "one", "m1");
    const sock2 = await connect(a.sidecarToken);
    await hello(sock2, "two", "m2");
    await until(() => snapshot(a.id), (s) => s.sidecars.length === 2);
    const pending = chat(a.apiKey, { model: "local/m1", stream: true, messages: [{ role: "user", content: "x" }] });
    const req = (await sock1.next("request")) as Extract<WorkerFrame, { t: "request" }>;
    // The other machine tries to answer it: ignored.
    sock2.send({ t: "delta", id: req.id, seq: 0, text: "INJECTED" });
    sock1.send({ t: "delta", id: req.id, seq: 0, text: "real" });
    sock1.send({ t: "end", id: req.id, seq: 1, finishReason: "stop", usage: { prompt_tokens: 1, completion_tokens: 1 } });
    const text = await (await pending).text();
    expect(text).toContain('"content":"real"');
    expect(text).not.toContain("INJECTED");
    expect(text.trim().endsWith("data: [DONE]")).toBe(true);
  });

  it("puts a request's frames back in order when they arrive out of order", async () => {
    const a = await newUser();
    const sock = await connect(a.sidecarToken);
    await hello(sock, "pc", "qwen");
    await until(() => snapshot(a.id), (s) => s.sidecars.length === 1);
    const pending = chat(a.apiKey, { model: "local/qwen", messages: [{ role: "user", content: "x" }] });
    const req = (await sock.next("request")) as Extract<WorkerFrame, { t: "request" }>;
    sock.send({ t: "end", id: req.id, seq: 4, finishReason: "stop", usage: { prompt_tokens: 1, completion_tokens: 3 } });
    sock.send({ t: "delta", id: req.id, seq: 2, text: "two " });
    sock.send({ t: "start", id: req.id, seq: 0, model: "qwen" });
    sock.send({ t: "delta", id: req.id, seq: 3, text: "three" });
    sock.send({ t: "delta", id: req.id, seq: 1, text: "one " });
    const body = (await (await pending).json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe("one two three");
  });

  it("refuses an overloaded sidecar's request at once and falls through (503 without cloud keys)", async () => {
    const a = await newUser();
    const sock = await connect(a.sidecarToken);
    await hello(sock, "pc", "qwen");
    await until(() => snapshot(a.id), (s) => s.sidecars.length === 1);
    const pending = chat(a.apiKey, { model: "auto", messages: [{ role: "user", content: "x" }] });
    const req = (await sock.next("request")) as Extract<WorkerFrame, { t: "request" }>;
    sock.send({ t: "error", id: req.id, seq: 0, code: "overloaded", message: "busy" });
    const r = await pending;
    expect(r.status).toBe(503);
    expect(r.headers.get("x-hearth-trace")).toMatch(/^local\/qwen;outcome=failed;reason=overloaded/);
  });
});

describe("state the planner can trust, and home-only requests that wait", () => {
  const loadingState = (model: string, n: number): SidecarState => ({
    ...state(model),
    models: [{ id: model, backend: "ollama", contextLength: 4096, loaded: false, tools: false, tokensPerSecond: 0 }],
    loading: [model],
    n,
  });

  it("a state report sent before an answer began never says its model is still loading afterwards", async () => {
    const u = await newUser();
    const sock = await connect(u.sidecarToken);
    await sock.next("welcome");
    sock.send({ t: "hello", v: 1, sidecarId: "pc", state: loadingState("qwen", 1) });
    await until(() => snapshot(u.id), (s) => s.sidecars.length === 1);
    // Home is all this request has (no cloud keys here): it is asked although the model is loading.
    const pending = chat(u.apiKey, { model: "auto", messages: [{ role: "user", content: "x" }] });
    const req = (await sock.next("request")) as Extract<WorkerFrame, { t: "request" }>;
    sock.send({ t: "start", id: req.id, seq: 0, model: "qwen", stateN: 1 });
    sock.send({ t: "delta", id: req.id, seq: 1, text: "hi" });
    sock.send({ t: "end", id: req.id, seq: 2, finishReason: "stop", usage: { prompt_tokens: 1, completion_tokens: 1 } });
    expect((await pending).status).toBe(200);
    // The report that was on its way while the answer began arrives late: the answer wins.
    sock.send({ t: "state", state: loadingState("qwen", 1) });
    const after = await until(() => snapshot(u.id), (s) => s.sidecars[0]?.models[0]?.loaded === true);
    expect(after.sidecars[0]?.loading).toEqual([]);
    // A report newer than the answer is the truth again (the model is loading anew).
    sock.send({ t: "state", state: loadingState("qwen", 2) });
    const newer = await until(() => snapshot(u.id), (s) => s.sidecars[0]?.loading.length === 1);
    expect(newer.sidecars[0]?.models[0]?.loaded).toBe(false);
  });

  it("a home-only request waits for a free slot instead of failing at once", async () => {
    const u = await newUser();
    const sock = await connect(u.sidecarToken);
    await sock.next("welcome");
    sock.send({ t: "hello", v: 1, sidecarId: "pc", state: { ...state("qwen"), slots: { total: 1, free: 1 }, queue: { depth: 0, max: 0 } } });
    await until(() => snapshot(u.id), (s) => s.sidecars.length === 1);
    const first = chat(u.apiKey, { model: "local/qwen", messages: [{ role: "user", content: "first" }] });
    const req1 = (await sock.next("request")) as Extract<WorkerFrame, { t: "request" }>;
    const second = chat(u.apiKey, { model: "local/qwen", messages: [{ role: "user", content: "second" }] });
    await new Promise((r) => setTimeout(r, 100));
    expect(sock.frames.filter((f) => f.t === "request")).toHaveLength(1);
    sock.send({ t: "delta", id: req1.id, seq: 0, text: "one" });
    sock.send({ t: "end", id: req1.id, seq: 1, finishReason: "stop", usage: { prompt_tokens: 1, completion_tokens: 1 } });
    expect((await first).status).toBe(200);
    const req2 = (await until(async () => sock.frames.filter((f): f is Extract<WorkerFrame, { t: "request" }> => f.t === "request")[1], (f) => f !== undefined)) as Extract<WorkerFrame, { t: "request" }>;
    sock.send({ t: "delta", id: req2.id, seq: 0, text: "two" });
    sock.send({ t: "end", id: req2.id, seq: 1, finishReason: "stop", usage: { prompt_tokens: 1, completion_tokens: 1 } });
    const r2 = await second;
    expect(r2.status).toBe(200);
    expect(((await r2.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe("two");
  });

  it("an answer that stalls after it began is cancelled at home, and a non-streaming client gets a typed 504 — not a hang", async () => {
    const u = await newUser();
    await call(`/admin/users/${u.id}/policy`, {
      method: "PUT",
      headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
      body: JSON.stringify({ mode: "local_only", idleTimeoutMs: 200 }),
    });
    const sock = await connect(u.sidecarToken);
    await hello(sock, "pc", "qwen");
    await until(() => snapshot(u.id), (s) => s.sidecars.length === 1);
    const pending = chat(u.apiKey, { model: "auto", messages: [{ role: "user", content: "x" }] });
    const req = (await sock.next("request")) as Extract<WorkerFrame, { t: "request" }>;
    sock.send({ t: "start", id: req.id, seq: 0, model: "qwen" });
    sock.send({ t: "delta", id: req.id, seq: 1, text: "and then nothing" });
    const r = await pending;
    expect(r.status).toBe(504);
    expect(r.headers.get("x-hearth-trace")).toMatch(/^local\/qwen;outcome=broken;reason=idle_timeout/);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("upstream_timeout");
    expect(await sock.next("cancel")).toEqual({ t: "cancel", id: req.id });
  });
});

describe("a deleted user", () => {
  it("loses its sidecars' open connections at once", async () => {
    const u = await newUser();
    const sock = await connect(u.sidecarToken);
    await hello(sock, "pc", "qwen");
    await until(() => snapshot(u.id), (s) => s.sidecars.length === 1);
    const r = await call(`/admin/users/${u.id}`, { method: "DELETE", headers: { authorization: "Bearer test-admin-token" } });
    expect(r.status).toBe(200);
    expect(await sock.closed).toBe(4001);
    expect((await snapshot(u.id)).sidecars).toHaveLength(0);
  });
});

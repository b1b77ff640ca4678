import { HearthError, type AttemptSummary } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import { ClientClosed, requestSignal } from "./deadlines.js";
import { PlanRun, type RunOptions } from "./run.js";
import { RETRY, fakeOpener, ok, planOf, target, type FakeOpener, type Script } from "./test-openers.js";
import type { Commit } from "./attempt.js";

const instant = async () => undefined;

function runOf(targets: { id: string; deadlineMs?: number; scripts: Script[] }[], opts: Partial<RunOptions> = {}, plan: Partial<Parameters<typeof planOf>[1]> = {}) {
  const openers = new Map<string, FakeOpener>();
  const ts = targets.map((t) => {
    const pt = target(t.id, t.deadlineMs ?? 1_000);
    openers.set(t.id, fakeOpener(pt, t.scripts));
    return pt;
  });
  const run = new PlanRun(planOf(ts, plan), (t) => openers.get(t.id) as FakeOpener, {
    retry: RETRY,
    signal: new AbortController().signal,
    idleMs: 1_000,
    sleep: instant,
    ...opts,
  });
  return { run, openers, op: (id: string) => openers.get(id) as FakeOpener };
}

/** Reads a commit to its end: its text, or the error it broke with. */
async function readAll(c: Commit): Promise<string> {
  let text = c.head.flat().map((h) => h.choices[0]?.delta.content ?? "").join("");
  for (let r = await c.reader.next(); !r.done; r = await c.reader.next()) for (const ch of r.value) text += ch.choices[0]?.delta.content ?? "";
  return text;
}

const trace = (t: AttemptSummary[]) => t.map((e) => `${e.target}:${e.outcome}:${e.reason}`);

describe("PlanRun", () => {
  it("serves the first target that begins answering, in plan order with its skips", async () => {
    const { run } = runOf([{ id: "openai/a", scripts: [ok("hello")] }], {}, { skipped: [{ target: "local", outcome: "skipped", reason: "offline" }], order: ["local", "openai/a"] });
    const c = await run.next();
    expect(c?.target.id).toBe("openai/a");
    expect(await readAll(c as Commit)).toBe("hello");
    expect(trace(run.trace)).toEqual(["local:skipped:offline", "openai/a:served:ok"]);
    expect(run.attempts).toBe(1);
  });

  it("retries a retryable failure as the decision says, then moves on, counting every attempt", async () => {
    const http500: Script = { refuse: { kind: "http", status: 500, message: "boom" } };
    const { run, op } = runOf([
      { id: "openai/a", scripts: [http500] },
      { id: "anthropic/b", scripts: [ok("from b")] },
    ]);
    const c = await run.next();
    expect(c?.target.id).toBe("anthropic/b");
    expect(op("openai/a").opened).toHaveLength(3);
    expect(trace(run.trace)).toEqual(["openai/a:failed:http_500", "openai/a:failed:http_500", "openai/a:failed:http_500", "anthropic/b:served:ok"]);
    expect(run.attempts).toBe(4);
  });

  it("stops at an upstream's 400: the request itself is bad, no fallback", async () => {
    const { run, op } = runOf([
      { id: "openai/a", scripts: [{ refuse: { kind: "http", status: 400, message: "bad schema" } }] },
      { id: "anthropic/b", scripts: [ok("never")] },
    ]);
    const err = await run.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HearthError);
    expect((err as HearthError).status).toBe(400);
    expect(op("anthropic/b").opened).toHaveLength(0);
  });

  it("gives up on a target with no first content within its deadline, stops it, and moves on", async () => {
    const { run, op } = runOf([
      { id: "local/m", deadlineMs: 50, scripts: [{ steps: ["hang"] }] },
      { id: "openai/a", scripts: [ok("cloud")] },
    ]);
    const t0 = Date.now();
    const c = await run.next();
    expect(c?.target.id).toBe("openai/a");
    expect(Date.now() - t0).toBeLessThan(500);
    expect(op("local/m").opened[0]?.signal.aborted).toBe(true);
    expect(trace(run.trace)).toEqual(["local/m:failed:timeout", "openai/a:served:ok"]);
  });

  it("never waits on a source that ignores its abort: the deadline still ends the attempt", async () => {
    const { run } = runOf([
      { id: "local/m", deadlineMs: 50, scripts: [{ steps: ["hang"], deaf: true }] },
      { id: "openai/a", scripts: [ok("cloud")] },
    ]);
    expect((await run.next())?.target.id).toBe("openai/a");
  });

  it("counts a slow open against the first-token deadline", async () => {
    const { run } = runOf([
      { id: "local/m", deadlineMs: 50, scripts: [{ openMs: 5_000, steps: [{ text: "late" }] }] },
      { id: "openai/a", scripts: [ok("cloud")] },
    ]);
    const t0 = Date.now();
    expect((await run.next())?.target.id).toBe("openai/a");
    expect(Date.now() - t0).toBeLessThan(500);
  });

  it("a sign of life (alive) ends the first-token wait; from then only a stall stops the attempt", async () => {
    const { run } = runOf([{ id: "local/m", deadlineMs: 60, scripts: [{ steps: ["alive", { wait: 40 }, "alive", { wait: 40 }, "alive", { wait: 40 }, { text: "call" }, { finish: "stop" }] }] }], { idleMs: 100 });
    const c = await run.next();
    expect(c?.target.id).toBe("local/m");
    expect(c?.ms).toBeGreaterThan(60);
  });

  it("a stall after the first content ends the answer (idle deadline); broke() books it and the next target answers", async () => {
    const { run, op } = runOf(
      [
        { id: "local/m", scripts: [{ steps: [{ text: "Once" }, "hang"] }] },
        { id: "openai/a", scripts: [ok("whole")] },
      ],
      { idleMs: 50 },
    );
    const first = (await run.next()) as Commit;
    const err = await readAll(first).catch((e: unknown) => e);
    expect((err as Error).name).toBe("DeadlineExceeded");
    expect(op("local/m").opened[0]?.signal.aborted).toBe(true);
    const f = run.broke(first, err);
    expect(f.reason).toBe("idle_timeout");
    const second = (await run.next()) as Commit;
    expect(second.target.id).toBe("openai/a");
    expect(await readAll(second)).toBe("whole");
    expect(trace(run.trace)).toEqual(["local/m:broken:idle_timeout", "openai/a:served:ok"]);
    expect(run.attempts).toBe(2);
  });

  it("a slow client is not a stall: idle counts only while a read waits on the source", async () => {
    const { run } = runOf([{ id: "openai/a", scripts: [ok("fine")] }], { idleMs: 30 });
    const c = (await run.next()) as Commit;
    await new Promise((r) => setTimeout(r, 120));
    expect(await readAll(c)).toBe("fine");
  });

  it("an answer cut mid-way is retried on the same target when the decision allows", async () => {
    const { run, op } = runOf([{ id: "openai/a", scripts: [{ steps: [{ text: "par" }, { cut: "connection reset" }] }, ok("again")] }]);
    const first = (await run.next()) as Commit;
    run.broke(first, await readAll(first).catch((e: unknown) => e));
    const second = (await run.next()) as Commit;
    expect(second.target.id).toBe("openai/a");
    expect(op("openai/a").opened).toHaveLength(2);
    expect(trace(run.trace)).toEqual(["openai/a:broken:connection", "openai/a:served:ok"]);
  });

  it("passes the prefix to continue with to the next target", async () => {
    const { run, op } = runOf([
      { id: "local/m", scripts: [{ steps: [{ text: "Once upon" }, { fail: { kind: "unavailable", reason: "disconnected", contacted: true } }] }] },
      { id: "anthropic/b", scripts: [ok(" a time")] },
    ]);
    const first = (await run.next()) as Commit;
    run.broke(first, await readAll(first).catch((e: unknown) => e));
    await run.next("Once upon");
    expect(op("anthropic/b").opened[0]?.prefix).toBe("Once upon");
  });

  it("stops at the total deadline: no more targets, and the error says every target timed out", async () => {
    const request = requestSignal(new AbortController().signal, 80);
    const { run, op } = runOf(
      [
        { id: "local/m", deadlineMs: 5_000, scripts: [{ steps: ["hang"] }] },
        { id: "openai/a", scripts: [ok("too late")] },
      ],
      { signal: request.signal },
    );
    expect(await run.next()).toBeUndefined();
    request.dispose();
    expect(op("openai/a").opened).toHaveLength(0);
    const err = run.exhausted();
    expect(err.code).toBe("upstream_timeout");
    expect(trace(run.trace)).toEqual(["local/m:failed:total_timeout"]);
  });

  it("throws ClientClosed when the client leaves; the attempt in flight is stopped", async () => {
    const client = new AbortController();
    const request = requestSignal(client.signal, 10_000);
    const { run, op } = runOf([{ id: "local/m", deadlineMs: 5_000, scripts: [{ steps: ["hang"] }] }], { signal: request.signal });
    setTimeout(() => client.abort(), 30);
    await expect(run.next()).rejects.toBeInstanceOf(ClientClosed);
    request.dispose();
    expect(op("local/m").opened[0]?.signal.aborted).toBe(true);
  });
});

describe("PlanRun with a hedge", () => {
  const hedged = (primary: Script[], backup: Script[], afterMs = 40) =>
    runOf(
      [
        { id: "local/m", deadlineMs: 5_000, scripts: primary },
        { id: "openai/a", scripts: backup },
      ],
      {},
      { hedge: { primary: "local/m", backup: "openai/a", afterMs } },
    );

  it("home slower than the hedge delay: the backup starts beside it, answers first, and home is stopped", async () => {
    const { run, op } = hedged([{ steps: [{ wait: 2_000 }, { text: "late" }] }], [ok("cloud")]);
    const c = await run.next();
    expect(c?.target.id).toBe("openai/a");
    expect(op("local/m").opened[0]?.signal.aborted).toBe(true);
    expect(trace(run.trace)).toEqual(["local/m:cancelled:hedge_lost", "openai/a:served:ok"]);
    expect(run.attempts).toBe(2);
  });

  it("home settling before the delay is an ordinary attempt: no backup call", async () => {
    const { run, op } = hedged([ok("home")], [ok("cloud")]);
    expect((await run.next())?.target.id).toBe("local/m");
    expect(op("openai/a").opened).toHaveLength(0);
  });

  it("obeys stop: the backup's 400 during the race ends the request as a 400, and home is stopped", async () => {
    const { run, op } = hedged([{ steps: [{ wait: 2_000 }, { text: "late" }] }], [{ refuse: { kind: "http", status: 400, message: "bad request" } }]);
    const err = await run.next().catch((e: unknown) => e);
    expect((err as HearthError).status).toBe(400);
    expect(op("local/m").opened[0]?.signal.aborted).toBe(true);
  });

  it("obeys retry: the backup's 500 during the race is retried after home fails too", async () => {
    const { run, op } = hedged([{ steps: [{ wait: 100 }, { fail: { kind: "unavailable", reason: "error", contacted: true } }] }], [{ refuse: { kind: "http", status: 500 } }, ok("cloud, second try")]);
    const c = await run.next();
    expect(c?.target.id).toBe("openai/a");
    expect(op("openai/a").opened).toHaveLength(2);
    expect(trace(run.trace)).toEqual(["openai/a:failed:http_500", "local/m:failed:error", "openai/a:served:ok"]);
  });
});

describe("PlanRun.exhausted", () => {
  it("is a 400 when every target this request may use refuses it for good", () => {
    const { run } = runOf([], {}, {
      skipped: [
        { target: "local", outcome: "skipped", reason: "context_too_long" },
        { target: "openai/a", outcome: "skipped", reason: "private" },
      ],
      order: ["local", "openai/a"],
    });
    return run.next().then(() => {
      const err = run.exhausted();
      expect(err).toMatchObject({ code: "context_length_exceeded", status: 400, param: "messages" });
    });
  });

  it("says when only the answer's room does not fit home's context, and which max_tokens would", async () => {
    const { run } = runOf([], {}, {
      skipped: [{ target: "local", outcome: "skipped", reason: "context_too_long" }],
      order: ["local"],
      context: { model: "local/hearth-tiny", contextLength: 256, promptTokens: 10, reserveTokens: 256, maxTokens: 246 },
    });
    await run.next();
    const err = run.exhausted();
    expect(err).toMatchObject({ code: "context_length_exceeded", status: 400, param: "max_tokens" });
    expect(err.message).toContain("its prompt (~10 tokens) fits local/hearth-tiny's context of 256 tokens, but not with room for a 256-token answer");
    expect(err.message).toContain("set max_tokens to 246 or less");
    expect(err.message).toMatch(/\(local: context_too_long\)\.$/);
  });

  it("is a 503 with retry-after when home is only busy for now", async () => {
    const { run } = runOf([], {}, { skipped: [{ target: "local", outcome: "skipped", reason: "overloaded" }], order: ["local"] });
    await run.next();
    expect(run.exhausted()).toMatchObject({ code: "no_target_available", status: 503, retryAfterSeconds: 1 });
  });

  it("is a 502 invalid_answer naming the check when home's answer failed it and the cloud may not answer", async () => {
    const invalid = { kind: "invalid_response" as const, reason: "invalid_answer", check: "tool_args_schema", contacted: true, message: "the answer failed the tool_args_schema check (get_weather: /: required \"city\")" };
    const { run } = runOf([{ id: "local/qwen", scripts: [{ steps: [{ fail: invalid }] }] }], {}, { skipped: [{ target: "openai/a", outcome: "skipped", reason: "policy_local_only" }], order: ["local/qwen", "openai/a"] });
    expect(await run.next()).toBeUndefined();
    expect(run.trace[0]).toMatchObject({ target: "local/qwen", outcome: "failed", reason: "invalid_answer", check: "tool_args_schema" });
    const err = run.exhausted();
    expect(err).toMatchObject({ code: "invalid_answer", status: 502 });
    expect(err.message).toContain("(tool_args_schema)");
    expect(err.message).toContain("policy_local_only");
  });
});

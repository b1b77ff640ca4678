/**
 * The per-key rate limit (the RATE_LIMITER binding under wrangler dev): over the rate, a request is a
 * 429 `rate_limited` with retry-after, and no target is contacted for it — although the limiter's
 * verdict is awaited only just before the first target is. And dashboard sign-ins per address: over the
 * rate, even the right key is refused, so guessing cannot go on at speed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeServer } from "../fakes/harness.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { postChat } from "../support/chat.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

let openai: FakeServer;
let worker: RunningWorker;

beforeAll(async () => {
  openai = await startFakeOpenAI();
  worker = await startWorker({ vars: cloudVars(openai), rateLimitPerMinute: 3, loginLimitPerMinute: 3 });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await openai?.close();
});

describe("the per-key rate limit", () => {
  it("answers 429 rate_limited over the rate, without contacting any target", async () => {
    const { apiKey } = await worker.createUser("limited");
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await postChat(worker.url, apiKey, { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: `n${i}` }] });
      statuses.push(r.status);
      if (r.status === 429) {
        expect(r.headers.get("retry-after")).toBe("10");
        expect(((await r.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
      } else await r.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 200).length).toBe(3);
    expect(statuses.slice(3)).toEqual([429, 429, 429]);
    expect(openai.requests).toHaveLength(3);
  });

  it("a key over its rate gets 429 even for a body that is not valid (the limit is checked before any response)", async () => {
    const { apiKey } = await worker.createUser("limited-bad");
    for (let i = 0; i < 3; i++) await (await postChat(worker.url, apiKey, { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "x" }] })).arrayBuffer();
    const r = await postChat(worker.url, apiKey, { model: "openai/gpt-4o-mini" });
    expect(r.status).toBe(429);
  });
});

describe("the dashboard sign-in limit", () => {
  const login = (key: string) =>
    fetch(`${worker.url}/auth/login`, { method: "POST", headers: { "content-type": "application/json", origin: worker.url }, body: JSON.stringify({ key }) });

  it("counts every attempt per address: after 3, even the right key is a 429 with retry-after, and no session", async () => {
    const { apiKey } = await worker.createUser("signs-in");
    for (let i = 0; i < 3; i++) {
      const wrong = await login(`hk_wrong_${i}`);
      expect(wrong.status).toBe(401);
      expect(((await wrong.json()) as { error: { code: string; param: string } }).error).toMatchObject({ code: "invalid_api_key", param: "key" });
    }
    const right = await login(apiKey);
    expect(right.status).toBe(429);
    expect(right.headers.get("retry-after")).toBe("60");
    expect(right.headers.get("set-cookie")).toBeNull();
    expect(((await right.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    // The API itself is not what this limits: the key still works.
    const me = await fetch(`${worker.url}/v1/me`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(me.status).toBe(200);
  });
});

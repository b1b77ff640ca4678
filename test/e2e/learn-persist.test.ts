/**
 * What a user's Durable Object has learned survives a restart of the Worker (as it survives
 * hibernation and deploys): counters and performance windows live in the object's storage, not in
 * memory. Real `wrangler dev`, restarted on the same local state; the fake OpenAI as the only target.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeServer } from "../fakes/harness.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { postChat } from "../support/chat.js";
import { waitFor } from "../support/sidecar.js";
import { cloudVars, startWorker, type RunningWorker } from "../support/wrangler.js";

const OPENAI = "openai/gpt-4o-mini";

interface Stats {
  requests: { total: number };
  targets: Record<string, { served: number; window: { samples: number; ttft_ms: { p50: number } | null } }>;
}

let openai: FakeServer;
let worker: RunningWorker;

const stats = async (key: string): Promise<Stats> => {
  const r = await fetch(`${worker.url}/v1/stats`, { headers: { authorization: `Bearer ${key}` } });
  expect(r.status).toBe(200);
  return (await r.json()) as Stats;
};

beforeAll(async () => {
  openai = await startFakeOpenAI();
  worker = await startWorker({ vars: { ...cloudVars(openai), HEARTH_AUTO_TARGETS: OPENAI } });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await openai?.close();
});

describe("learning survives a restart", () => {
  it("keeps the counters and the windows", async () => {
    const u = await worker.createUser("persist", { mode: "cloud_only" });
    for (let i = 0; i < 3; i++) {
      const r = await postChat(worker.url, u.apiKey, { model: "auto", messages: [{ role: "user", content: `n${i}` }] });
      expect(r.status).toBe(200);
    }
    await waitFor(async () => (await stats(u.apiKey)).requests.total === 3, 5_000, "three requests in the stats");
    const before = await stats(u.apiKey);
    await worker.restart();
    const after = await stats(u.apiKey);
    expect(after.requests.total).toBe(3);
    expect(after.targets[OPENAI]?.served).toBe(3);
    expect(after.targets[OPENAI]?.window.samples).toBe(3);
    expect(after.targets[OPENAI]?.window.ttft_ms).toEqual(before.targets[OPENAI]?.window.ttft_ms);
  });
});

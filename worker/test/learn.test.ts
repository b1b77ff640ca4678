/**
 * The learned windows and counters, stored the way a Durable Object stores them (inside workerd):
 * a fresh store on the same storage — as after hibernation, a restart or a deploy — sees exactly what
 * the last one had, windows in order and bounded.
 */
import { env, runInDurableObject } from "cloudflare:test";
import type { RequestRecord } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import { PerfStore } from "../src/hub/stats/perf-store.js";

const opts = { windowSize: 5, minSamples: 2 };
const record = (at: number, served: string): RequestRecord => ({
  at,
  kind: "chat",
  rule: undefined,
  served,
  error: undefined,
  promptTokens: 10,
  completionTokens: 20,
  trace: [{ target: served, outcome: "served", reason: "ok", ms: 40 + at }],
  reference: "openai/gpt-4o-mini",
  first: served,
  stream: false,
  totalMs: 100,
});

describe("PerfStore", () => {
  it("a new store on the same storage rebuilds every window in order, and the counters", async () => {
    const stub = env.SIDECAR_HUB.get(env.SIDECAR_HUB.idFromName("learn-store-test"));
    await runInDurableObject(stub, async (_obj, state) => {
      const a = new PerfStore(state.storage, opts);
      await a.load();
      for (let i = 0; i < 8; i++) a.addLocalSample("m", { at: i, ok: true, ttftMs: 100 + i, promptTokens: 50 });
      for (let i = 0; i < 3; i++) a.addRecord(record(i, "openai/gpt-4o-mini"), {});
      await a.flush();

      const b = new PerfStore(state.storage, opts);
      await b.load();
      expect(b.windows()).toEqual(a.windows());
      // The ring kept the newest five, oldest first.
      expect(b.windows()["local/m"]?.map((s) => s.ttftMs)).toEqual([103, 104, 105, 106, 107]);
      expect(b.windows()["local"]).toHaveLength(5);
      expect(b.windows()["openai/gpt-4o-mini"]?.map((s) => s.ttftMs)).toEqual([40, 41, 42]);
      expect(b.counters()).toEqual(a.counters());
      expect(b.counters().requests).toBe(3);
      expect(b.summaries()["local/m"]).toMatchObject({ samples: 5, ready: true, promptTokensP50: 50 });

      // It carries on where the last one stopped.
      b.addLocalSample("m", { at: 9, ok: false, reason: "timeout", ttftMs: 999 });
      await b.flush();
      const c = new PerfStore(state.storage, opts);
      await c.load();
      expect(c.windows()["local/m"]?.map((s) => s.ttftMs)).toEqual([104, 105, 106, 107, 999]);

      await c.reset(1_000);
      const d = new PerfStore(state.storage, opts);
      await d.load();
      expect(d.windows()).toEqual({});
      expect(d.counters().requests).toBe(0);
    });
  });
});

/**
 * The time series on a real Durable Object's SQLite storage: minutes written and read back, the
 * alarm's roll-up into hours (queries with whole-hour steps read hours, the rest minutes), a record
 * that arrives for an hour already rolled up, retention, and the alarm the hub asks for.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { DAY_MS, HOUR_MS, MINUTE_MS, seriesPoints, type RequestRecord } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import { ROLLUP_LAG_MS, SeriesStore } from "../src/hub/stats/series-store.js";
import { call, newUser } from "./helpers.js";

const MINI = "openai/gpt-4o-mini";
const PRICES = { [MINI]: { input: 1, output: 2 } };
const T0 = Date.UTC(2026, 0, 1);

const rec = (at: number, over: Partial<RequestRecord> = {}): RequestRecord => ({
  at,
  kind: "chat",
  rule: undefined,
  served: MINI,
  error: undefined,
  promptTokens: 1_000_000,
  completionTokens: 0,
  trace: [{ target: MINI, outcome: "served", reason: "ok", status: 200, ms: 100 }],
  reference: MINI,
  first: MINI,
  stream: false,
  totalMs: 120,
  ttftMs: 100,
  ...over,
});

function inObject(name: string, fn: (store: SeriesStore, storage: DurableObjectStorage) => Promise<void> | void): Promise<void> {
  const stub = env.SIDECAR_HUB.get(env.SIDECAR_HUB.idFromName(name));
  return runInDurableObject(stub, async (_obj, state) => fn(new SeriesStore(state.storage), state.storage));
}

describe("SeriesStore", () => {
  it("keeps minutes, rolls finished hours up, and reads hours for whole-hour steps", async () => {
    await inObject("series-rollup", (store, storage) => {
      store.add(rec(T0 + 5 * MINUTE_MS), PRICES);
      store.add(rec(T0 + 5 * MINUTE_MS + 10_000), PRICES);
      store.add(rec(T0 + HOUR_MS + MINUTE_MS), PRICES);
      const minutes = store.rows(T0, T0 + 2 * HOUR_MS, MINUTE_MS);
      expect(minutes.map((r) => [r.t, r.bucket.requests])).toEqual([
        [T0 + 5 * MINUTE_MS, 2],
        [T0 + HOUR_MS + MINUTE_MS, 1],
      ]);
      // Before the roll-up, a whole-hour step reads the minutes.
      expect(seriesPoints(store.rows(T0, T0 + 2 * HOUR_MS, HOUR_MS), { from: T0, to: T0 + 2 * HOUR_MS, stepMs: HOUR_MS }).points.map((p) => p.cloud)).toEqual([2, 1]);
      // The first hour is finished (and its lag passed); the second is not.
      const next = store.tick(T0 + HOUR_MS + ROLLUP_LAG_MS + 1);
      expect(next).toBe(T0 + 2 * HOUR_MS + ROLLUP_LAG_MS);
      const hourRows = storage.sql.exec("SELECT t FROM hearth_series WHERE res = 3600").toArray().map((r) => Number(r.t));
      expect(hourRows).toEqual([T0]);
      const rows = store.rows(T0, T0 + 2 * HOUR_MS, HOUR_MS);
      expect(rows.map((r) => [r.t, r.bucket.requests])).toEqual([
        [T0, 2],
        [T0 + HOUR_MS + MINUTE_MS, 1],
      ]);
      // A late record for the rolled-up hour lands in its hour too.
      store.add(rec(T0 + 59 * MINUTE_MS), PRICES);
      expect(store.rows(T0, T0 + HOUR_MS, HOUR_MS)[0]?.bucket.requests).toBe(3);
      const points = seriesPoints(store.rows(T0, T0 + 2 * HOUR_MS, HOUR_MS), { from: T0, to: T0 + 2 * HOUR_MS, stepMs: HOUR_MS }).points;
      expect(points.map((p) => p.spend_usd)).toEqual([3, 1]);
      // A fresh store on the same storage (after hibernation) knows what was rolled up.
      expect(new SeriesStore(storage).rows(T0, T0 + 2 * HOUR_MS, HOUR_MS).map((r) => r.t)).toEqual([T0, T0 + HOUR_MS + MINUTE_MS]);
    });
  });

  it("drops minutes after 7 days and hours after a year; wants no alarm once empty", async () => {
    await inObject("series-retention", (store, storage) => {
      store.add(rec(T0), PRICES);
      expect(store.tick(T0 + 8 * DAY_MS)).toBeDefined();
      expect(storage.sql.exec("SELECT res, COUNT(*) AS n FROM hearth_series GROUP BY res").toArray()).toEqual([{ res: 3600, n: 1 }]);
      expect(store.tick(T0 + 366 * DAY_MS)).toBeUndefined();
      expect(storage.sql.exec("SELECT COUNT(*) AS n FROM hearth_series").one().n).toBe(0);
    });
  });

  it("the hub asks for an alarm on its first record, and the alarm runs the roll-up", async () => {
    const user = await newUser("series-alarm");
    const stub = env.SIDECAR_HUB.get(env.SIDECAR_HUB.idFromName(user.id));
    await stub.record(JSON.stringify([rec(Date.now())]));
    const alarm = await runInDurableObject(stub, (_obj, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // Still data to keep: the next roll-up is asked for.
    expect(await runInDurableObject(stub, (_obj, state) => state.storage.getAlarm())).not.toBeNull();
    const r = await call("/v1/stats/series?range=1h", { headers: { authorization: `Bearer ${user.apiKey}` } });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { step_s: number; points: { cloud: number }[] };
    expect(body.step_s).toBe(60);
    expect(body.points).toHaveLength(60);
    expect(body.points.reduce((n, p) => n + p.cloud, 0)).toBe(1);
  });

  it("a bad range or step is a 400 naming the field", async () => {
    const user = await newUser("series-bad");
    for (const [q, param] of [["range=2w", "range"], ["range=30d&step=60", "step"]] as const) {
      const r = await call(`/v1/stats/series?${q}`, { headers: { authorization: `Bearer ${user.apiKey}` } });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { param: string } }).error.param).toBe(param);
    }
  });
});

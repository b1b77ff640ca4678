/**
 * The user's time series, in their Durable Object's SQLite storage: one row per minute (kept 7 days)
 * and one per hour (kept a year), each the JSON of a SeriesBucket (shared/src/stats/series.ts).
 *
 * Records land in the current minute's bucket in memory and are written together from a timer
 * (WRITE_DELAY_MS), never on the relay's path: a crash loses at most that moment. An alarm, at most
 * once an hour while there is data, rolls each finished hour's minutes into its hour row and deletes
 * rows past retention. A record that arrives for an hour already rolled up (an isolate's batch that
 * straddled the hour) goes into the hour row as well, so hours always hold their minutes' sum.
 */
import {
  HOUR_MS,
  MINUTE_MS,
  SERIES_RETENTION,
  applyToBucket,
  bucketStart,
  downsample,
  emptyBucket,
  mergeBuckets,
  type PriceTable,
  type RequestRecord,
  type SeriesBucket,
  type TimedBucket,
} from "@hearth/shared";

/** How long buckets wait in memory to be written together (ms). */
export const SERIES_WRITE_DELAY_MS = 1_000;
/** An hour is rolled up this long after it ends: records reach the hub up to a moment after their time. */
export const ROLLUP_LAG_MS = 2 * MINUTE_MS;

const MINUTE = 60;
const HOUR = 3600;

export class SeriesStore {
  readonly #storage: DurableObjectStorage;
  #ready = false;
  /** Buckets changed since the last write, by `${res}:${t}` (res in seconds). */
  readonly #dirty = new Map<string, { res: number; t: number; bucket: SeriesBucket }>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Hours before this (ms) are rolled up; undefined until the first record. */
  #rolledUntil: number | undefined;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
  }

  /** The tables are made on first use: a user who never made a request has none. */
  get #sql(): SqlStorage {
    const sql = this.#storage.sql;
    if (!this.#ready) {
      sql.exec(`CREATE TABLE IF NOT EXISTS hearth_series (res INTEGER NOT NULL, t INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (res, t))`);
      sql.exec(`CREATE TABLE IF NOT EXISTS hearth_series_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`);
      this.#ready = true;
      const row = sql.exec("SELECT v FROM hearth_series_meta WHERE k = 'rolled_until'").toArray()[0];
      if (row) this.#rolledUntil = Number(row.v);
    }
    return sql;
  }

  /** A finished request: into its minute (and its hour, when that hour was rolled up already). */
  add(r: RequestRecord, prices: PriceTable): void {
    const sql = this.#sql;
    if (this.#rolledUntil === undefined) {
      this.#rolledUntil = bucketStart(r.at, HOUR_MS);
      sql.exec("INSERT OR REPLACE INTO hearth_series_meta (k, v) VALUES ('rolled_until', ?)", this.#rolledUntil);
    }
    applyToBucket(this.#bucket(MINUTE, bucketStart(r.at, MINUTE_MS)), r, prices);
    if (r.at < this.#rolledUntil) applyToBucket(this.#bucket(HOUR, bucketStart(r.at, HOUR_MS)), r, prices);
    this.#timer ??= setTimeout(() => this.flush(), SERIES_WRITE_DELAY_MS);
  }

  #bucket(res: number, t: number): SeriesBucket {
    const key = `${res}:${t}`;
    let d = this.#dirty.get(key);
    if (!d) this.#dirty.set(key, (d = { res, t, bucket: this.#read(res, t) ?? emptyBucket() }));
    return d.bucket;
  }

  #read(res: number, t: number): SeriesBucket | undefined {
    const row = this.#sql.exec("SELECT data FROM hearth_series WHERE res = ? AND t = ?", res, t).toArray()[0];
    return row ? (JSON.parse(String(row.data)) as SeriesBucket) : undefined;
  }

  /** Writes the buckets changed since the last write. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#dirty.size === 0) return;
    const sql = this.#sql;
    this.#storage.transactionSync(() => {
      for (const { res, t, bucket } of this.#dirty.values()) sql.exec("INSERT OR REPLACE INTO hearth_series (res, t, data) VALUES (?, ?, ?)", res, t, JSON.stringify(bucket));
    });
    this.#dirty.clear();
  }

  /**
   * The buckets a chart over [from, to) with this step reads, oldest first: hour rows where the step
   * is whole hours and the hour is rolled up, minute rows for the rest.
   */
  rows(from: number, to: number, stepMs: number): TimedBucket[] {
    this.flush();
    const sql = this.#sql;
    const read = (res: number, a: number, b: number): TimedBucket[] =>
      a >= b ? [] : sql.exec("SELECT t, data FROM hearth_series WHERE res = ? AND t >= ? AND t < ? ORDER BY t", res, a, b).toArray().map((row) => ({ t: Number(row.t), bucket: JSON.parse(String(row.data)) as SeriesBucket }));
    if (stepMs % HOUR_MS !== 0 || this.#rolledUntil === undefined) return read(MINUTE, from, to);
    const split = Math.min(Math.max(from, this.#rolledUntil), to);
    return [...read(HOUR, from, split), ...read(MINUTE, split, to)];
  }

  /**
   * The alarm's work: roll finished hours up, drop rows past retention. Returns when it wants to run
   * next (the next hour's roll-up), or undefined when there is nothing left to keep.
   */
  tick(now: number): number | undefined {
    this.flush();
    const sql = this.#sql;
    if (this.#rolledUntil === undefined) return undefined;
    const until = bucketStart(now - ROLLUP_LAG_MS, HOUR_MS);
    if (until > this.#rolledUntil) {
      const minutes = sql
        .exec("SELECT t, data FROM hearth_series WHERE res = ? AND t >= ? AND t < ? ORDER BY t", MINUTE, this.#rolledUntil, until)
        .toArray()
        .map((row) => ({ t: Number(row.t), bucket: JSON.parse(String(row.data)) as SeriesBucket }));
      const hours = downsample(minutes, HOUR_MS);
      this.#storage.transactionSync(() => {
        for (const h of hours) {
          const existing = this.#read(HOUR, h.t);
          const bucket = existing ? mergeBuckets(existing, h.bucket) : h.bucket;
          sql.exec("INSERT OR REPLACE INTO hearth_series (res, t, data) VALUES (?, ?, ?)", HOUR, h.t, JSON.stringify(bucket));
        }
        sql.exec("INSERT OR REPLACE INTO hearth_series_meta (k, v) VALUES ('rolled_until', ?)", until);
      });
      this.#rolledUntil = until;
    }
    sql.exec("DELETE FROM hearth_series WHERE res = ? AND t < ?", MINUTE, now - SERIES_RETENTION.minuteMs);
    sql.exec("DELETE FROM hearth_series WHERE res = ? AND t < ?", HOUR, now - SERIES_RETENTION.hourMs);
    const left = Number(sql.exec("SELECT COUNT(*) AS n FROM hearth_series").one().n);
    return left > 0 ? bucketStart(now, HOUR_MS) + HOUR_MS + ROLLUP_LAG_MS : undefined;
  }

  /** Forget everything (the user asked for fresh stats). */
  reset(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dirty.clear();
    const sql = this.#sql;
    sql.exec("DELETE FROM hearth_series");
    sql.exec("DELETE FROM hearth_series_meta");
    this.#rolledUntil = undefined;
  }
}

/**
 * What one user's Durable Object has learned: a sliding window of samples per target and the request
 * counters, kept in the object's storage so hibernation, deploys and restarts keep them (all but the
 * last moment's samples, below). Reads are from memory.
 *
 * Each sample is its own small row (`sample:<target>:<slot>`, a ring of windowSize slots per target):
 * rewriting whole windows on every answer was the largest item in the hub's CPU profile.
 * Rows are gathered for a moment (WRITE_DELAY_MS) and written together, unconfirmed, from a timer:
 * a write made while relaying ran on the relay's path (the end of every answer waited for it, and for
 * the storage commit after it), and one write per answer cost a commit each. The price is that a crash
 * loses at most the last WRITE_DELAY_MS of samples; the pending timer keeps the object from
 * hibernating before they are written, and reading the stats writes them first.
 */
import {
  applyRecord,
  cloudSamples,
  emptyCounters,
  pushSample,
  summarize,
  windowBreaker,
  type Counters,
  type PerfOptions,
  type PerfSample,
  type PerfSummary,
  type PriceTable,
  type RequestRecord,
  type WindowBreakerOptions,
} from "@hearth/shared";

const COUNTERS = "stats:counters";
const SAMPLE_PREFIX = "sample:";
/** Home as a whole: every local model's samples, for deadlines before a model has its own. */
export const ALL_LOCAL = "local";

/** How long rows wait to be written together (ms). */
export const WRITE_DELAY_MS = 250;

/** A stored sample knows its place in its target's sequence, so a window can be rebuilt in order. */
type StoredSample = PerfSample & { seq: number };

export class PerfStore {
  readonly #storage: DurableObjectStorage;
  readonly #opts: PerfOptions;
  readonly #windows = new Map<string, PerfSample[]>();
  /** Next sequence number per target. */
  readonly #seq = new Map<string, number>();
  #counters: Counters = emptyCounters(Date.now());
  /**
   * The planner asks on every request, and each answer changes only its own targets' windows: a
   * target's summary is kept until a sample of its own arrives.
   */
  readonly #summaryOf = new Map<string, PerfSummary>();
  #writing: Promise<void> = Promise.resolve();
  /** Rows not yet handed to storage, by key (a later value for a key replaces the earlier). */
  #pending: Record<string, unknown> = {};
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(storage: DurableObjectStorage, opts: PerfOptions) {
    this.#storage = storage;
    this.#opts = opts;
  }

  async load(): Promise<void> {
    const counters = await this.#storage.get<Counters>(COUNTERS);
    if (counters) this.#counters = counters;
    const rows = await this.#storage.list<StoredSample>({ prefix: SAMPLE_PREFIX });
    const byTarget = new Map<string, StoredSample[]>();
    for (const [key, sample] of rows) {
      const target = key.slice(SAMPLE_PREFIX.length, key.lastIndexOf(":"));
      byTarget.set(target, [...(byTarget.get(target) ?? []), sample]);
    }
    for (const [target, samples] of byTarget) {
      samples.sort((a, b) => a.seq - b.seq);
      this.#windows.set(target, samples.slice(-this.#opts.windowSize).map(({ seq: _, ...s }) => s));
      this.#seq.set(target, (samples[samples.length - 1]?.seq ?? -1) + 1);
    }
  }

  /** A home attempt, from the hub's relay: counted for the model and for home as a whole. */
  addLocalSample(model: string, sample: PerfSample): void {
    this.#write(this.#push([[`local/${model}`, sample], [ALL_LOCAL, sample]]));
  }

  /** A finished request, from the Worker: counters, plus samples for the cloud targets it tried. */
  addRecord(record: RequestRecord, prices: PriceTable): void {
    applyRecord(this.#counters, record, prices);
    this.#write({ ...this.#push(cloudSamples(record)), [COUNTERS]: this.#counters });
  }

  /** Adds samples in memory; returns the rows to store. */
  #push(samples: [string, PerfSample][]): Record<string, StoredSample> {
    const rows: Record<string, StoredSample> = {};
    for (const [target, sample] of samples) {
      this.#windows.set(target, pushSample(this.#windows.get(target) ?? [], sample, this.#opts.windowSize));
      const seq = this.#seq.get(target) ?? 0;
      this.#seq.set(target, seq + 1);
      rows[`${SAMPLE_PREFIX}${target}:${seq % this.#opts.windowSize}`] = { ...sample, seq };
      this.#summaryOf.delete(target);
    }
    return rows;
  }

  #write(rows: Record<string, unknown>): void {
    Object.assign(this.#pending, rows);
    this.#timer ??= setTimeout(() => this.#writeNow(), WRITE_DELAY_MS);
  }

  #writeNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const keys = Object.keys(this.#pending);
    if (keys.length === 0) return;
    const rows = this.#pending;
    this.#pending = {};
    // put() takes at most 128 keys at a time. A failed write costs a few samples, never an answer.
    for (let i = 0; i < keys.length; i += 128) {
      const batch = Object.fromEntries(keys.slice(i, i + 128).map((k) => [k, rows[k]]));
      this.#writing = this.#storage.put(batch, { allowUnconfirmed: true }).catch(() => undefined);
    }
  }

  /** Writes what is pending now and resolves once it is stored. */
  async flush(): Promise<void> {
    this.#writeNow();
    await this.#writing;
  }

  summaries(): Record<string, PerfSummary> {
    const out: Record<string, PerfSummary> = {};
    for (const [target, w] of this.#windows) {
      let summary = this.#summaryOf.get(target);
      if (!summary) this.#summaryOf.set(target, (summary = summarize(w, this.#opts)));
      out[target] = summary;
    }
    return out;
  }

  /** Cloud targets whose window says they keep failing (home has its own breaker per sidecar). */
  breakers(now: number, opts: WindowBreakerOptions): Record<string, "closed" | "open" | "half_open"> {
    const out: Record<string, "closed" | "open" | "half_open"> = {};
    for (const [target, w] of this.#windows) if (!target.startsWith(ALL_LOCAL)) out[target] = windowBreaker(w, now, opts);
    return out;
  }

  windows(): Record<string, PerfSample[]> {
    return Object.fromEntries(this.#windows);
  }

  counters(): Counters {
    return this.#counters;
  }

  /** Forget everything (the user asked for fresh stats). */
  async reset(now: number): Promise<void> {
    await this.flush();
    this.#windows.clear();
    this.#seq.clear();
    this.#summaryOf.clear();
    this.#counters = emptyCounters(now);
    const keys = [...(await this.#storage.list({ prefix: SAMPLE_PREFIX })).keys(), COUNTERS];
    // delete() takes at most 128 keys at a time.
    for (let i = 0; i < keys.length; i += 128) await this.#storage.delete(keys.slice(i, i + 128));
  }
}

/**
 * What one user's Durable Object has learned: a sliding window of samples per target and the request
 * counters, kept in the object's storage so hibernation, deploys and restarts lose nothing. Reads are
 * from memory. Writes are gathered for FLUSH_MS and then written at once, only the keys that changed:
 * written per sample, each request cost two puts of whole windows (structured clone and SQLite, on
 * the thread that also relays the next request's frames) — the largest item in the hub's CPU profile.
 * A pending timer keeps the object from hibernating, so hibernation skips no flush; a crash, restart
 * or deploy loses at most the last FLUSH_MS of samples (the hub flushes before it reports stats, so
 * what a user was shown is stored).
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
const WINDOW_PREFIX = "window:";
/** Home as a whole: every local model's samples, for deadlines before a model has its own. */
export const ALL_LOCAL = "local";
/** How long changes wait before they are written together (ms). */
export const FLUSH_MS = 1_000;

export class PerfStore {
  readonly #storage: DurableObjectStorage;
  readonly #opts: PerfOptions;
  #windows = new Map<string, PerfSample[]>();
  #counters: Counters = emptyCounters(Date.now());
  /** Storage keys changed since the last flush. */
  readonly #dirty = new Set<string>();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** The planner asks on every request; windows change far less often than that. */
  #summaries: Record<string, PerfSummary> | undefined;

  constructor(storage: DurableObjectStorage, opts: PerfOptions) {
    this.#storage = storage;
    this.#opts = opts;
  }

  async load(): Promise<void> {
    const counters = await this.#storage.get<Counters>(COUNTERS);
    if (counters) this.#counters = counters;
    const windows = await this.#storage.list<PerfSample[]>({ prefix: WINDOW_PREFIX });
    for (const [key, samples] of windows) this.#windows.set(key.slice(WINDOW_PREFIX.length), samples);
  }

  /** A home attempt, from the hub's relay: counted for the model and for home as a whole. */
  addLocalSample(model: string, sample: PerfSample): void {
    this.#push([[`local/${model}`, sample], [ALL_LOCAL, sample]]);
  }

  /** A finished request, from the Worker: counters, plus samples for the cloud targets it tried. */
  addRecord(record: RequestRecord, prices: PriceTable): void {
    applyRecord(this.#counters, record, prices);
    this.#dirty.add(COUNTERS);
    this.#push(cloudSamples(record));
  }

  #push(samples: [string, PerfSample][]): void {
    for (const [target, sample] of samples) {
      this.#windows.set(target, pushSample(this.#windows.get(target) ?? [], sample, this.#opts.windowSize));
      this.#dirty.add(WINDOW_PREFIX + target);
    }
    if (samples.length > 0) this.#summaries = undefined;
    if (this.#dirty.size > 0) this.#flushTimer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes what changed since the last flush (also called by the timer FLUSH_MS after a change). */
  async flush(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#dirty.size === 0) return;
    const writes: Record<string, unknown> = {};
    for (const key of this.#dirty) writes[key] = key === COUNTERS ? this.#counters : this.#windows.get(key.slice(WINDOW_PREFIX.length));
    this.#dirty.clear();
    // Unconfirmed: statistics must not hold back the answers being relayed (the output gate).
    await this.#storage.put(writes, { allowUnconfirmed: true });
  }

  summaries(): Record<string, PerfSummary> {
    if (this.#summaries) return this.#summaries;
    const out: Record<string, PerfSummary> = {};
    for (const [target, w] of this.#windows) out[target] = summarize(w, this.#opts);
    this.#summaries = out;
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
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#dirty.clear();
    this.#windows.clear();
    this.#summaries = undefined;
    this.#counters = emptyCounters(now);
    await this.#storage.delete([...(await this.#storage.list({ prefix: WINDOW_PREFIX })).keys(), COUNTERS]);
  }
}

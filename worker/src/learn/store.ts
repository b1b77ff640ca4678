/**
 * What one user's Durable Object has learned: a sliding window of samples per target and the request
 * counters, kept in the object's storage so hibernation, deploys and restarts lose nothing. Reads are
 * from memory; each change writes only the keys it touched.
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

export class PerfStore {
  readonly #storage: DurableObjectStorage;
  readonly #opts: PerfOptions;
  #windows = new Map<string, PerfSample[]>();
  #counters: Counters = emptyCounters(Date.now());

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
  async addLocalSample(model: string, sample: PerfSample): Promise<void> {
    await this.#push([[`local/${model}`, sample], [ALL_LOCAL, sample]]);
  }

  /** A finished request, from the Worker: counters, plus samples for the cloud targets it tried. */
  async addRecord(record: RequestRecord, prices: PriceTable): Promise<void> {
    applyRecord(this.#counters, record, prices);
    await this.#push(cloudSamples(record), { [COUNTERS]: this.#counters });
  }

  async #push(samples: [string, PerfSample][], extra: Record<string, unknown> = {}): Promise<void> {
    const writes: Record<string, unknown> = { ...extra };
    for (const [target, sample] of samples) {
      const next = pushSample(this.#windows.get(target) ?? [], sample, this.#opts.windowSize);
      this.#windows.set(target, next);
      writes[WINDOW_PREFIX + target] = next;
    }
    // Unconfirmed: statistics must not hold back the answers being relayed (the output gate); losing
    // the last few samples in a crash costs nothing.
    if (Object.keys(writes).length > 0) await this.#storage.put(writes, { allowUnconfirmed: true });
  }

  summaries(): Record<string, PerfSummary> {
    const out: Record<string, PerfSummary> = {};
    for (const [target, w] of this.#windows) out[target] = summarize(w, this.#opts);
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
    this.#windows.clear();
    this.#counters = emptyCounters(now);
    await this.#storage.delete([...(await this.#storage.list({ prefix: WINDOW_PREFIX })).keys(), COUNTERS]);
  }
}

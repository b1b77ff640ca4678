/**
 * What this user's home has taught the risk estimate: per home model, a running tally of its answers
 * (risk/learn.ts RiskTally) — which failed (an error, a timeout, a stall, a broken stream, an answer
 * that failed its check: risk/outcomes.ts) against what the estimate predicted for each — and the
 * logit offset the planner adds for that model (PlanInput.riskOffsets; explain shows it).
 *
 * Fed by the records the Worker sends after each request (SidecarHub.record → Planning.settle), off
 * the request path. Kept in the Durable Object's storage (`risk:<model>`, one small row per model)
 * the way PerfStore keeps its samples: rows gathered for WRITE_DELAY_MS and written together,
 * unconfirmed — a crash loses at most that moment's outcomes, never an answer. Forgotten with the
 * stats (DELETE /v1/stats); otherwise old outcomes fade (learn.ts DECAY) so a changed model is relearned.
 */
import { addOutcome, EMPTY_TALLY, homeOutcomes, offsetFrom, predictedRisk, type RequestRecord, type RiskOffset, type RiskTally } from "@hearth/shared";

const PREFIX = "risk:";
/** How long rows wait to be written together (ms); as PerfStore's. */
export const WRITE_DELAY_MS = 250;
/** Models remembered at most: the least recently heard of is forgotten first (a home swaps models over months). */
export const MAX_MODELS = 64;

type Row = RiskTally & { at: number };

/** A home model's size in billions of parameters (undefined when unknown), for the prediction. */
export type SizeOf = (model: string) => number | undefined;

export class RiskStore {
  readonly #storage: DurableObjectStorage;
  readonly #rows = new Map<string, Row>();
  /** The offsets the planner reads on every request: rebuilt only after an outcome arrives. */
  #offsets: Record<string, RiskOffset> | undefined;
  #pending = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<unknown> = Promise.resolve();

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
  }

  async load(): Promise<void> {
    for (const [key, row] of await this.#storage.list<Row>({ prefix: PREFIX })) this.#rows.set(key.slice(PREFIX.length), row);
  }

  /** Home's outcomes in finished requests; records without a risk estimate (embeddings, named cloud models) teach nothing. */
  add(records: readonly RequestRecord[], sizeOf: SizeOf): void {
    for (const r of records) {
      if (r.riskLogit === undefined) continue;
      for (const o of homeOutcomes(r.trace)) {
        const row = this.#rows.get(o.model) ?? { ...EMPTY_TALLY, at: 0 };
        this.#rows.set(o.model, { ...addOutcome(row, predictedRisk(r.riskLogit, sizeOf(o.model)), o.bad), at: Math.max(row.at, r.at) });
        this.#pending.add(o.model);
        this.#offsets = undefined;
      }
    }
    this.#evict();
    if (this.#pending.size > 0) this.#timer ??= setTimeout(() => this.#writeNow(), WRITE_DELAY_MS);
  }

  /** The learned offset per home model id. */
  offsets(): Readonly<Record<string, RiskOffset>> {
    if (!this.#offsets) {
      const out: Record<string, RiskOffset> = {};
      for (const [model, row] of this.#rows) out[model] = offsetFrom(row);
      this.#offsets = out;
    }
    return this.#offsets;
  }

  /** Writes what is pending now and resolves once it is stored. */
  async flush(): Promise<void> {
    this.#writeNow();
    await this.#writing;
  }

  /** Forget everything learned (the user asked for fresh stats). */
  async reset(): Promise<void> {
    await this.flush();
    this.#rows.clear();
    this.#offsets = undefined;
    const keys = [...(await this.#storage.list({ prefix: PREFIX })).keys()];
    for (let i = 0; i < keys.length; i += 128) await this.#storage.delete(keys.slice(i, i + 128));
  }

  #evict(): void {
    if (this.#rows.size <= MAX_MODELS) return;
    const oldest = [...this.#rows].sort((a, b) => a[1].at - b[1].at).slice(0, this.#rows.size - MAX_MODELS);
    for (const [model] of oldest) {
      this.#rows.delete(model);
      this.#pending.delete(model);
      this.#writing = this.#storage.delete(PREFIX + model).catch(() => undefined);
    }
  }

  #writeNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    const models = [...this.#pending];
    this.#pending = new Set();
    // put() takes at most 128 keys at a time. A failed write costs a few outcomes, never an answer.
    for (let i = 0; i < models.length; i += 128) {
      const batch = Object.fromEntries(models.slice(i, i + 128).map((m) => [PREFIX + m, this.#rows.get(m)]));
      this.#writing = this.#storage.put(batch, { allowUnconfirmed: true }).catch(() => undefined);
    }
  }
}

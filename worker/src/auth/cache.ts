/**
 * A small per-isolate TTL cache for credential lookups. It keeps D1 off the hot path for a key seen
 * in the last few seconds, and bounds how long a revocation takes to reach every isolate.
 */
export interface TtlCacheOptions {
  /** How long an entry is trusted (ms). */
  ttlMs: number;
  /** Entries kept at most; the oldest go first. Default: 10,000. */
  maxEntries?: number;
}

export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #max: number;

  constructor(opts: TtlCacheOptions) {
    this.#ttlMs = opts.ttlMs;
    this.#max = opts.maxEntries ?? 10_000;
  }

  get(key: string, now = Date.now()): V | undefined {
    const hit = this.#entries.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return hit.value;
  }

  set(key: string, value: V, now = Date.now(), ttlMs = this.#ttlMs): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt: now + ttlMs });
  }

  /** Drops every entry whose value matches, e.g. all of one user's keys after a change. */
  deleteWhere(match: (value: V) => boolean): void {
    for (const [key, entry] of this.#entries) if (match(entry.value)) this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

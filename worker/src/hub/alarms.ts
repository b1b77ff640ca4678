/**
 * The hub has one alarm and several modules that want it (the Responses store's expiry, the series'
 * roll-up). Each registers its timed work once and asks for the time it next needs with `need`, which
 * only ever moves the alarm earlier — so no module can push another's later. When the alarm fires,
 * every module's work runs (one failing does not stop the others) and the alarm is set to the
 * earliest time any of them asks for next.
 */
import type { Logger } from "../log.js";

/** A module's timed work at `now`; returns when it next needs to run (ms since epoch), or undefined. */
export type AlarmWork = (now: number) => number | undefined | Promise<number | undefined>;

export class AlarmRegistry {
  readonly #storage: DurableObjectStorage;
  readonly #work = new Map<string, AlarmWork>();
  readonly #log: Logger | undefined;

  constructor(storage: DurableObjectStorage, log?: Logger) {
    this.#storage = storage;
    this.#log = log;
  }

  register(name: string, work: AlarmWork): void {
    this.#work.set(name, work);
  }

  /** The alarm goes off no later than `at`. */
  async need(at: number): Promise<void> {
    const current = await this.#storage.getAlarm();
    if (current === null || current > at) await this.#storage.setAlarm(at);
  }

  /** The alarm fired: every module's work, then the earliest next time any of them asked for. */
  async fire(now: number): Promise<void> {
    let next: number | undefined;
    for (const [name, work] of this.#work) {
      try {
        const at = await work(now);
        if (at !== undefined && (next === undefined || at < next)) next = at;
      } catch (err) {
        this.#log?.warn("alarm work failed", { module: name, error: err instanceof Error ? err.message : String(err) });
      }
    }
    if (next !== undefined) await this.need(next);
  }
}

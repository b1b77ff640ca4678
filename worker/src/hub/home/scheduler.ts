/**
 * Where a request goes at home, and when: a sidecar is picked from the last reported state; when the
 * only obstacle is that every sidecar with the model is full, the request waits for a change (a
 * request ending, a state report) and is picked again, until its deadline. Plain code over a clock and
 * a view of the sidecars, so it is tested without workerd (scheduler.test.ts).
 */
import type { SidecarView } from "@hearth/shared";

/** What a picker says: a sidecar (possibly only once a slot frees: `wait: "overloaded"`), or why none. */
export type Choice = { ok: true; wait?: string } | { ok: false; reason: string };

export interface SchedulerDeps {
  /** The sidecars as the picker sees them at `now`. */
  views(now: number): SidecarView[];
  /** Default: Date.now. */
  now?(): number;
}

export class Scheduler {
  readonly #deps: SchedulerDeps;
  readonly #waiters = new Set<() => void>();

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
  }

  #now(): number {
    return this.#deps.now?.() ?? Date.now();
  }

  /** Something that may free a slot happened (a request ended, a state report): waiting requests look again. */
  changed(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /** Requests waiting for a slot now. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * The first choice `pick` makes that needs no wait for a slot — or, while every sidecar that could
   * take it is full, the next one after a change, until `until` (ms since epoch); then `overloaded`.
   * A refusal is returned as it is.
   */
  async place<C extends Choice>(pick: (views: SidecarView[]) => C, until: number): Promise<C | { ok: false; reason: "overloaded" }> {
    for (;;) {
      const choice = pick(this.#deps.views(this.#now()));
      const c: Choice = choice;
      if (!c.ok || c.wait !== "overloaded") return choice;
      if (!(await this.#waitForChange(until))) return { ok: false, reason: "overloaded" };
    }
  }

  /** Resolves true at the next change, false if `until` passes first. */
  #waitForChange(until: number): Promise<boolean> {
    const ms = until - this.#now();
    if (ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (changed: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve(changed);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.#waiters.add(wake);
    });
  }
}

/**
 * The user's cloud spend against their budget, in the hub: the current day's and month's spend (the
 * ledger) and the reservations of requests in flight, in memory — the planner asks on every request,
 * so the check costs no storage read — and persisted unconfirmed (never on a request's path; a crash
 * loses at most the last moment's changes, and a lost reservation only frees headroom early).
 *
 * A reservation is made when the hub plans a request that may call the cloud: the largest estimated
 * cost among the plan's cloud targets. It is released when the request's record arrives (the real
 * cost is then charged), or after `until` if the record never comes (an isolate that died).
 */
import {
  chargeLedger,
  budgetReport,
  checkBudget,
  costOf,
  estimateCost,
  isLocalTarget,
  periodEnds,
  rollLedger,
  unservedCosts,
  type BudgetCheck,
  type BudgetLedger,
  type BudgetLimits,
  type BudgetReport,
  type CostEstimate,
  type PlanBudget,
  type PriceTable,
  type RoutePlan,
  type RequestRecord,
} from "@hearth/shared";

const LEDGER = "budget:ledger";
const HOLDS = "budget:holds";

interface Hold {
  usd: number;
  /** Released at this time if its record has not come (ms). */
  until: number;
}

export class BudgetStore {
  readonly #storage: DurableObjectStorage;
  #ledger: BudgetLedger | undefined;
  #holds = new Map<string, Hold>();

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
  }

  async load(): Promise<void> {
    const [ledger, holds] = await Promise.all([this.#storage.get<BudgetLedger>(LEDGER), this.#storage.get<Record<string, Hold>>(HOLDS)]);
    this.#ledger = ledger;
    this.#holds = new Map(Object.entries(holds ?? {}));
  }

  /** The spend of `now`'s day and month. */
  ledger(now: number): BudgetLedger {
    const rolled = rollLedger(this.#ledger, now);
    if (rolled.day !== this.#ledger?.day || rolled.month !== this.#ledger.month) this.#ledger = rolled;
    return rolled;
  }

  /** What the held reservations add up to (expired ones are dropped). */
  reserved(now: number): number {
    let usd = 0;
    let expired = false;
    for (const [id, h] of this.#holds) {
      if (h.until <= now) {
        this.#holds.delete(id);
        expired = true;
      } else usd += h.usd;
    }
    if (expired) this.#saveHolds();
    return usd;
  }

  check(limits: BudgetLimits, now: number): BudgetCheck {
    return checkBudget(limits, this.ledger(now), this.reserved(now), now);
  }

  /** What the planner needs to keep the cloud within the budget, for a request of this size. */
  planInput(limits: BudgetLimits, estimate: CostEstimate, now: number): PlanBudget {
    const c = this.check(limits, now);
    return { leftUsd: c.leftUsd, onExceeded: limits.onExceeded, estimate, ...(c.resetsAt !== undefined ? { retryAfterSeconds: Math.ceil((c.resetsAt - now) / 1000) } : {}) };
  }

  /** Holds the most the plan's cloud targets could cost; returns the reservation's id (none when nothing priced may be called). */
  reserve(plan: RoutePlan, estimate: CostEstimate, until: number): string | undefined {
    let usd = 0;
    for (const t of plan.targets) if (t.provider !== "local") usd = Math.max(usd, estimateCost(estimate, t.id));
    if (usd === 0) return undefined;
    const id = crypto.randomUUID();
    this.#holds.set(id, { usd, until });
    this.#saveHolds();
    return id;
  }

  /** A finished request: its reservation is released and its real cost charged. */
  settle(r: RequestRecord, prices: PriceTable, now: number): void {
    if (r.hold && this.#holds.delete(r.hold)) this.#saveHolds();
    // A hedge's stopped loser and an answer that broke were billed too (unservedCosts).
    let usd = unservedCosts(prices, r).reduce((sum, [, c]) => sum + c, 0);
    if (r.served && !isLocalTarget(r.served)) usd += costOf(prices, r.served, r.promptTokens, r.completionTokens) ?? 0;
    if (usd === 0) return;
    this.#ledger = chargeLedger(this.ledger(now), r.at, usd);
    void this.#storage.put(LEDGER, this.#ledger, { allowUnconfirmed: true }).catch(() => undefined);
  }

  #saveHolds(): void {
    void this.#storage.put(HOLDS, Object.fromEntries(this.#holds), { allowUnconfirmed: true }).catch(() => undefined);
  }

  /** The `budget` section of /v1/stats and /v1/health. */
  report(limits: BudgetLimits, now: number): BudgetReport {
    return budgetReport(limits, this.ledger(now), this.reserved(now), now);
  }
}

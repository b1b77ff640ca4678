/**
 * Planning in the hub: a request planned with what the hub knows (sidecars, performance, breakers,
 * the budget's spend, what home's answers taught the risk estimate) and, when home goes first and the
 * Worker asked, started at once — one round trip for the common case. The budget's holds: requests in
 * flight together cannot spend the same headroom; each record that arrives settles what its request
 * really cost, and its home outcome moves that model's learned risk offset (risk-store.ts).
 */
import {
  DEFAULT_ANSWER_TOKENS,
  DEFAULT_UNRELIABLE_AT,
  toolRecordOf,
  unreliableToolModels,
  effectiveBudget,
  hasBudget,
  localModelSize,
  plan as planTargets,
  type Budget,
  type PriceTable,
  type RequestRecord,
  type SidecarView,
} from "@hearth/shared";
import type { HearthConfig } from "../../config.js";
import type { BudgetReport, OpenInput, OpenResult, RouteCall, RouteResult } from "../../hub-client/types.js";
import type { PerfStore } from "../stats/perf-store.js";
import { BudgetStore } from "./budget-store.js";
import { RiskStore } from "./risk-store.js";

export interface PlanningDeps {
  cfg: HearthConfig;
  perf: PerfStore;
  views(now: number): SidecarView[];
  open(input: OpenInput): Promise<OpenResult>;
}

export class Planning {
  readonly #budget: BudgetStore;
  readonly #risk: RiskStore;
  readonly #d: PlanningDeps;

  constructor(storage: DurableObjectStorage, deps: PlanningDeps) {
    this.#budget = new BudgetStore(storage);
    this.#risk = new RiskStore(storage);
    this.#d = deps;
  }

  async load(): Promise<void> {
    await this.#budget.load();
    await this.#risk.load();
  }

  async route(call: RouteCall): Promise<RouteResult> {
    const now = Date.now();
    const { cfg, perf } = this.#d;
    const breakers = perf.breakers(now, cfg.breaker);
    const limits = effectiveBudget(call.policy.budget, cfg.budget);
    const estimate = { prices: cfg.prices, promptTokens: call.features.promptTokens, completionTokens: call.answerTokens ?? DEFAULT_ANSWER_TOKENS };
    const budget = hasBudget(limits) ? this.#budget.planInput(limits, estimate, now) : undefined;
    const plan = planTargets({
      ...call,
      configured: new Set(call.configured),
      sidecars: this.#d.views(now),
      perf: perf.summaries(),
      openBreakers: new Set(Object.keys(breakers).filter((t) => breakers[t] === "open")),
      riskOffsets: this.#risk.offsets(),
      prices: cfg.prices,
      // What the checks of home's answers learned (README "Checked answers"): each model's recent tool
      // record, for the agent rules; the models whose tool answers fail too often lately, passed over.
      toolRecord: toolRecordOf(perf.counters().homeChecks),
      unreliableTools: unreliableToolModels(perf.counters().homeChecks, call.policy.unreliableToolsAt ?? DEFAULT_UNRELIABLE_AT, now),
      ...(budget ? { budget } : {}),
    });
    // Held until the request's record arrives: requests in flight together cannot spend the same headroom.
    const hold = budget && (call.open || call.reserve) ? this.#budget.reserve(plan, estimate, now + (call.holdMs ?? cfg.totalTimeoutMs)) : undefined;
    const first = plan.targets[0];
    if (!call.open || first?.provider !== "local") return { plan, ...(hold ? { hold } : {}) };
    const opened = await this.#d.open({ ...call.open, model: first.model, firstTokenMs: first.deadlineMs, ...(first.wait ? { wait: true } : {}) });
    return { plan, opened, ...(hold ? { hold } : {}) };
  }

  /** Finished requests: their real cost charged, their holds released, home's outcomes learned from. */
  settle(records: readonly RequestRecord[], prices: PriceTable): void {
    const now = Date.now();
    for (const r of records) this.#budget.settle(r, prices, now);
    this.#risk.add(records, this.#sizeOf(now));
  }

  /** Forgets what home's outcomes taught (with the stats; the budget's spend stays). */
  resetLearned(): Promise<void> {
    return this.#risk.reset();
  }

  /** Each home model's size as its sidecar reports it (name, else file size); by name alone once it is gone. */
  #sizeOf(now: number): (model: string) => number | undefined {
    let models: Map<string, number | undefined> | undefined;
    return (id) => {
      models ??= new Map(this.#d.views(now).flatMap((v) => v.state.models.map((m) => [m.id, localModelSize(m).sizeB] as const)));
      return models.has(id) ? models.get(id) : localModelSize({ id }).sizeB;
    };
  }

  /** Spend against the budget in force (the user's policy budget with the deployment's). */
  budgetReport(budget?: Budget): BudgetReport {
    return this.#budget.report(effectiveBudget(budget, this.#d.cfg.budget), Date.now());
  }
}

/**
 * The hub's numbers: each target's counters and recent performance window (perf-store.ts), which also
 * steer planning, and the time series the dashboard charts (series-store.ts) with its hourly roll-up.
 */
import { buildReport, isLocalTarget, seriesPoints, HOUR_MS, type PerfSample, type PriceTable, type RequestRecord, type StatsReport } from "@hearth/shared";
import type { HearthConfig } from "../../config.js";
import type { HubHealth, HubSidecar } from "../../hub-client/types.js";
import type { AlarmRegistry } from "../alarms.js";
import { PerfStore } from "./perf-store.js";
import { SeriesStore } from "./series-store.js";

export class Stats {
  readonly perf: PerfStore;
  readonly #series: SeriesStore;
  readonly #cfg: HearthConfig;
  readonly #alarms: AlarmRegistry;
  /** The series' roll-up alarm was asked for by this instance. */
  #alarmAsked = false;

  constructor(storage: DurableObjectStorage, cfg: HearthConfig, alarms: AlarmRegistry) {
    this.#cfg = cfg;
    this.#alarms = alarms;
    this.perf = new PerfStore(storage, cfg.perf);
    this.#series = new SeriesStore(storage);
    alarms.register("series", (now) => this.#series.tick(now));
  }

  load(): Promise<void> {
    return this.perf.load();
  }

  addLocalSample(model: string, sample: PerfSample): void {
    this.perf.addLocalSample(model, sample);
  }

  async add(records: readonly RequestRecord[], prices: PriceTable): Promise<void> {
    for (const r of records) {
      this.perf.addRecord(r, prices);
      this.#series.add(r, prices);
    }
    if (!this.#alarmAsked) {
      this.#alarmAsked = true;
      await this.#alarms.need(Date.now() + HOUR_MS);
    }
  }

  /** The time series over [from, to) in points of `stepMs`, as JSON text. */
  series(from: number, to: number, stepMs: number): string {
    return JSON.stringify(seriesPoints(this.#series.rows(from, to, stepMs), { from, to, stepMs }));
  }

  /** `unreliableToolsAt`: the user's policy threshold, for the home models' check report. */
  async report(sidecars: HubSidecar[], unreliableToolsAt?: number): Promise<StatsReport> {
    // Whatever the stats show is in storage too (no write still in flight).
    await this.perf.flush();
    const now = Date.now();
    return buildReport({
      counters: this.perf.counters(),
      windows: this.perf.windows(),
      breakers: this.perf.breakers(now, this.#cfg.breaker),
      sidecars: sidecars.map((s) => ({ sidecarId: s.sidecarId, name: s.name, connectedAt: s.connectedAt, models: s.models.map((m) => m.id), breaker: s.breaker })),
      minSamples: this.#cfg.perf.minSamples,
      now,
      ...(unreliableToolsAt !== undefined ? { unreliableToolsAt } : {}),
    });
  }

  /** Each cloud target's recent window and the window breakers, for /v1/health. */
  health(): Pick<HubHealth, "breakers" | "cloud"> {
    const cloud: HubHealth["cloud"] = {};
    for (const [target, s] of Object.entries(this.perf.summaries())) if (!isLocalTarget(target)) cloud[target] = { samples: s.samples, errorRate: s.errorRate };
    return { breakers: this.perf.breakers(Date.now(), this.#cfg.breaker), cloud };
  }

  async reset(): Promise<void> {
    await this.perf.reset(Date.now());
    this.#series.reset();
  }
}

/**
 * SidecarHub: one Durable Object per user. A thin class that wires the hub's modules and answers the
 * RPC groups the Worker calls (hub-client/):
 *   home/       the sidecar sockets, the relay of requests to them, where each request goes and when
 *   planning/   plans with what the hub knows, and the budget's holds and spend
 *   stats/      counters, performance windows, the time series
 *   responses/  the Responses API's store
 *   live.ts     the live feed (dashboard sockets)
 *   alarms.ts   the one alarm, shared by the modules that need it
 */
import { DurableObject } from "cloudflare:workers";
import type { Budget, RequestRecord } from "@hearth/shared";
import { config, type HearthConfig } from "../config.js";
import type { HubRpc } from "../hub-client/index.js";
import type { BudgetReport, EmbedInput, EmbedOpenResult, HubHealth, HubSnapshot, OpenInput, OpenResult, RouteCall, RouteResult, StatsReport } from "../hub-client/types.js";
import { createLogger, type Logger } from "../log.js";
import { AlarmRegistry } from "./alarms.js";
import { Home } from "./home/index.js";
import { LIVE_PATH, LiveFeed } from "./live.js";
import { Planning } from "./planning/index.js";
import { ResponseStore } from "./responses/store.js";
import { Stats } from "./stats/index.js";

export class SidecarHub extends DurableObject<Env> implements HubRpc {
  readonly #cfg: HearthConfig;
  readonly #log: Logger;
  readonly #alarms: AlarmRegistry;
  readonly #live: LiveFeed;
  readonly #stats: Stats;
  readonly #home: Home;
  readonly #planning: Planning;
  readonly #responses: ResponseStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#cfg = config(env);
    this.#log = createLogger(this.#cfg.logLevel, { component: "hub" });
    this.#alarms = new AlarmRegistry(ctx.storage, this.#log);
    this.#live = new LiveFeed(ctx);
    this.#stats = new Stats(ctx.storage, this.#cfg, this.#alarms);
    this.#home = new Home(ctx, {
      breaker: this.#cfg.breaker,
      log: this.#log,
      onEvent: (e) => this.#live.home(e),
      listening: () => !this.#live.idle,
      onSample: (model, sample) => this.#stats.addLocalSample(model, sample),
    });
    this.#planning = new Planning(ctx.storage, { cfg: this.#cfg, perf: this.#stats.perf, views: (now) => this.#home.views(now), open: (i) => this.#home.open(i) });
    this.#responses = new ResponseStore(ctx.storage, undefined, this.#alarms);
    // Application-level keepalive: answered by the runtime, the hub stays hibernated.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    void ctx.blockConcurrencyWhile(async () => {
      await this.#home.load();
      await this.#stats.load();
      await this.#planning.load();
    });
  }

  // Sockets: the sidecars' and the live feeds', upgraded by the Worker after it authenticated them.

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    return new URL(request.url).pathname === LIVE_PATH ? this.#live.accept() : this.#home.accept(request);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (!this.#live.isLive(ws)) await this.#home.message(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      if (!this.#live.isLive(ws)) await this.#home.gone(ws);
    } finally {
      // Answer the close frame; the socket may already be closed.
      try {
        ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
      } catch {
        // already closed
      }
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    if (!this.#live.isLive(ws)) await this.#home.gone(ws);
  }

  override async alarm(): Promise<void> {
    await this.#alarms.fire(Date.now());
  }

  // HomeRpc

  route(call: RouteCall): Promise<RouteResult> {
    return this.#planning.route(call);
  }

  open(input: OpenInput): Promise<OpenResult> {
    return this.#home.open(input);
  }

  embed(input: EmbedInput): Promise<EmbedOpenResult> {
    return this.#home.embed(input);
  }

  async cancel(id: string): Promise<void> {
    this.#home.cancel(id);
  }

  // StatsRpc

  /** A batch from one isolate, as the JSON text of RequestRecord[]: one copy across the RPC, where objects are serialized field by field. */
  async record(batch: string): Promise<void> {
    const records = JSON.parse(batch) as RequestRecord[];
    this.#planning.settle(records, this.#cfg.prices);
    this.#live.requests(records);
    await this.#stats.add(records, this.#cfg.prices);
  }

  async series(from: number, to: number, stepMs: number): Promise<string> {
    return this.#stats.series(from, to, stepMs);
  }

  /** `budget`: the user's policy budget (the hub keeps no policy), for the report's `budget` section. */
  async stats(budget?: Budget, unreliableToolsAt?: number): Promise<StatsReport & { budget: BudgetReport }> {
    return { ...(await this.#stats.report(this.#home.sidecars(), unreliableToolsAt)), budget: this.#planning.budgetReport(budget) };
  }

  /** Fresh stats: counters, windows, the series, and what home's outcomes taught the risk estimate. */
  async resetStats(): Promise<void> {
    await this.#stats.reset();
    await this.#planning.resetLearned();
  }

  /** What /v1/health checks in this hub: sidecars, breakers, each cloud target's recent error rate, the budget. */
  async health(budget?: Budget): Promise<HubHealth> {
    return { sidecars: this.#home.sidecars(), ...this.#stats.health(), budget: this.#planning.budgetReport(budget) };
  }

  // ResponsesRpc

  async responsesContext(previous: string | null, refs: string[]): Promise<string> {
    return JSON.stringify(this.#responses.context(previous, refs, Date.now()));
  }

  async responsesPut(record: string): Promise<void> {
    await this.#responses.put(record, Date.now());
  }

  async responsesGet(id: string): Promise<string | null> {
    const r = this.#responses.get(id, Date.now());
    return r ? JSON.stringify(r) : null;
  }

  async responsesDelete(id: string): Promise<boolean> {
    return this.#responses.delete(id);
  }

  // ConnectionsRpc

  async snapshot(): Promise<HubSnapshot> {
    return { sidecars: this.#home.sidecars() };
  }

  async closeAll(reason: string): Promise<number> {
    const closed = await this.#home.close(reason);
    // Its live feeds too (not counted: the count is of sidecars).
    this.#live.closeAll(4001, reason);
    return closed;
  }

  async revokeCredential(credentialId: string): Promise<number> {
    return this.#home.close("sidecar token revoked", (a) => a.credentialId === credentialId);
  }
}

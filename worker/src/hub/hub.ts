/**
 * SidecarHub: one Durable Object per user, holding that user's sidecar connection(s).
 *
 * The sidecar dials in (GET /v1/sidecar/connect, forwarded here); the hub accepts with the Hibernation
 * API, so an idle connection costs nothing and pings are answered without waking it. The Worker calls
 * open() to run a request at home: the hub picks a sidecar and model from the last reported state,
 * forwards the request, and streams the sidecar's frames back.
 */
import { DurableObject } from "cloudflare:workers";
import {
  PROTOCOL_CLOSE_CODE,
  PROTOCOL_VERSION,
  WORKER_PROTOCOL,
  admit,
  compatibility,
  encodeFrame,
  parseSidecarFrame,
  buildReport,
  pickEmbedder,
  pickLocal,
  plan as planTargets,
  recordFailure,
  recordSuccess,
  seriesPoints,
  effectiveBudget,
  hasBudget,
  DEFAULT_ANSWER_TOKENS,
  HOUR_MS,
  type Budget,
  type HomeEvent,
  homeEvent,
  isLocalTarget,
  type SidecarFrame,
  type WorkerFrame,
} from "@hearth/shared";
import { createLogger } from "../log.js";
import { WORKER_VERSION } from "../version.js";
import { config } from "../config.js";
import { PerfStore } from "./stats/perf-store.js";
import { ResponseStore } from "./responses/store.js";
import { SeriesStore } from "./stats/series-store.js";
import { BudgetStore } from "./planning/budget-store.js";
import { alarmNoLaterThan } from "./alarms.js";
import { LIVE_PATH, LiveFeed } from "./live.js";
import { Relay, type Outcome } from "./home/relay.js";
import { SIDECAR_TAG, Sidecars, type SocketAttachment } from "./home/sidecars.js";
import type { HubRpc } from "../hub-client/index.js";
import type { BudgetReport, EmbedInput, EmbedOpenResult, HubHealth, HubSnapshot, OpenInput, OpenResult, RequestRecord, RouteCall, RouteResult, StatsReport } from "../hub-client/types.js";

/** How often the sidecar should report its state. */
export const HEARTBEAT_MS = 15_000;

export class SidecarHub extends DurableObject<Env> implements HubRpc {
  readonly #sidecars: Sidecars;
  readonly #relay: Relay;
  readonly #perf: PerfStore;
  readonly #responses: ResponseStore;
  readonly #series: SeriesStore;
  readonly #budget: BudgetStore;
  readonly #live: LiveFeed;
  /** The series' roll-up alarm was asked for by this instance. */
  #seriesAlarm = false;
  readonly #log;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#log = createLogger(config(env).logLevel, { component: "hub" });
    this.#sidecars = new Sidecars(ctx);
    this.#perf = new PerfStore(ctx.storage, config(env).perf);
    this.#responses = new ResponseStore(ctx.storage);
    this.#series = new SeriesStore(ctx.storage);
    this.#budget = new BudgetStore(ctx.storage);
    this.#live = new LiveFeed(ctx);
    this.#relay = new Relay({
      onOutcome: (id, outcome) => void this.#recordOutcome(id, outcome),
      cancelAtHome: (ws, id) => this.#send(ws, { t: "cancel", id }),
      onSample: (model, sample) => this.#perf.addLocalSample(model, sample),
      onStart: (sidecarId, model, stateN) => this.#sidecars.answered(sidecarId, model, stateN),
      onFinish: () => this.#changed(),
    });
    // Application-level keepalive: answered by the runtime, the hub stays hibernated.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    void ctx.blockConcurrencyWhile(async () => {
      await this.#sidecars.load();
      await this.#perf.load();
      await this.#budget.load();
    });
  }

  /** The WebSocket upgrade, already authenticated by the Worker (it passes the credential id). */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    if (new URL(request.url).pathname === LIVE_PATH) return this.#live.accept();
    const pair = new WebSocketPair();
    const [client, server] = Object.values(pair) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [SIDECAR_TAG]);
    const attachment: SocketAttachment = { credentialId: request.headers.get("x-hearth-credential") ?? "", connectedAt: Date.now() };
    server.serializeAttachment(attachment);
    this.#send(server, { t: "welcome", v: PROTOCOL_VERSION, heartbeatMs: HEARTBEAT_MS, ...WORKER_PROTOCOL, version: WORKER_VERSION });
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (this.#live.isLive(ws)) return;
    this.#sidecars.seen(ws);
    if (typeof message !== "string") return;
    const parsed = parseSidecarFrame(message);
    if (!parsed.ok) {
      this.#log.warn("invalid frame from sidecar", { error: parsed.error });
      return;
    }
    await this.#onFrame(ws, parsed.frame, message);
  }

  async #onFrame(ws: WebSocket, frame: SidecarFrame, raw: string): Promise<void> {
    const sidecarId = (ws.deserializeAttachment() as SocketAttachment).sidecarId;
    switch (frame.t) {
      case "hello":
        if (!this.#compatible(ws, frame.v)) return;
        await this.#sidecars.hello(ws, frame.sidecarId, frame.name, frame.state);
        this.#log.info("sidecar connected", { sidecarId: frame.sidecarId, models: frame.state.models.length });
        this.#homeEvent("connected", frame.sidecarId);
        return;
      case "state":
        if (sidecarId) await this.#sidecars.setState(sidecarId, frame.state);
        this.#changed();
        if (sidecarId) this.#homeEvent("state", sidecarId);
        return;
      case "bye": {
        const state = sidecarId ? this.#sidecars.state(sidecarId) : undefined;
        if (sidecarId && state) await this.#sidecars.setState(sidecarId, { ...state, draining: true });
        if (sidecarId) this.#homeEvent("draining", sidecarId);
        return;
      }
      default:
        this.#relay.deliver(ws, frame, raw);
    }
  }

  /**
   * A sidecar too old to name its version at the upgrade names it only here. An incompatible one is
   * closed with a reason that says what to upgrade: sidecars print the close reason.
   */
  #compatible(ws: WebSocket, protocol: number): boolean {
    const verdict = compatibility({ worker: { ...WORKER_PROTOCOL, version: WORKER_VERSION }, sidecar: { protocol } });
    if (verdict.ok) return true;
    this.#log.warn("sidecar refused: protocol version", { sidecar: protocol, upgrade: verdict.upgrade });
    ws.close(PROTOCOL_CLOSE_CODE, verdict.closeReason);
    return false;
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      if (!this.#live.isLive(ws)) await this.#gone(ws);
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
    if (!this.#live.isLive(ws)) await this.#gone(ws);
  }

  /** Tells the live feed about a sidecar, as the hub sees it now. */
  #homeEvent(event: HomeEvent["event"], sidecarId: string, name?: string): void {
    if (this.#live.idle) return;
    const socket = this.#sidecars.sockets().find((s) => s.attachment.sidecarId === sidecarId);
    const state = this.#sidecars.state(sidecarId);
    const sidecar = { sidecarId, name: name ?? socket?.attachment.name, ...(state ?? {}), breaker: this.#sidecars.breaker(sidecarId).status };
    this.#live.home(homeEvent(event, sidecar, Date.now()));
  }

  async #gone(ws: WebSocket): Promise<void> {
    this.#relay.disconnected(ws);
    const { sidecarId } = ws.deserializeAttachment() as SocketAttachment;
    // Forget its state unless another socket of the same sidecar took over.
    if (sidecarId && !this.#sidecars.sockets().some((s) => s.ws !== ws && s.attachment.sidecarId === sidecarId)) {
      await this.#sidecars.forget(sidecarId);
      this.#log.info("sidecar disconnected", { sidecarId });
      this.#homeEvent("disconnected", sidecarId, (ws.deserializeAttachment() as SocketAttachment).name);
    }
  }

  /**
   * Plan a request with what this hub knows (sidecars, performance, breakers) and, when home goes
   * first and the Worker asked, start it at once: one round trip for the common case.
   */
  async route(call: RouteCall): Promise<RouteResult> {
    const now = Date.now();
    const cfg = config(this.env);
    const breakers = this.#perf.breakers(now, cfg.breaker);
    const limits = effectiveBudget(call.policy.budget, cfg.budget);
    const estimate = { prices: cfg.prices, promptTokens: call.features.promptTokens, completionTokens: call.answerTokens ?? DEFAULT_ANSWER_TOKENS };
    const budget = hasBudget(limits) ? this.#budget.planInput(limits, estimate, now) : undefined;
    const plan = planTargets({
      ...call,
      configured: new Set(call.configured),
      sidecars: this.#views(now),
      perf: this.#perf.summaries(),
      openBreakers: new Set(Object.keys(breakers).filter((t) => breakers[t] === "open")),
      ...(budget ? { budget } : {}),
    });
    // Held until the request's record arrives: requests in flight together cannot spend the same headroom.
    const hold = budget && call.open ? this.#budget.reserve(plan, estimate, now + (call.holdMs ?? cfg.totalTimeoutMs)) : undefined;
    const first = plan.targets[0];
    if (!call.open || first?.provider !== "local") return { plan, ...(hold ? { hold } : {}) };
    const opened = await this.open({ ...call.open, model: first.model, firstTokenMs: first.deadlineMs, ...(first.wait ? { wait: true } : {}) });
    return { plan, opened, ...(hold ? { hold } : {}) };
  }

  /**
   * Finished requests (a batch from one isolate, as the JSON text of RequestRecord[]), for the
   * counters and the cloud targets' windows. A string, not objects: it crosses the RPC as one copy,
   * where an object graph is serialized field by field — work the Worker pays for every request.
   */
  async record(batch: string): Promise<void> {
    const { prices } = config(this.env);
    const records = JSON.parse(batch) as RequestRecord[];
    for (const r of records) {
      this.#perf.addRecord(r, prices);
      this.#series.add(r, prices);
      this.#budget.settle(r, prices, Date.now());
    }
    this.#live.requests(records);
    if (!this.#seriesAlarm) {
      this.#seriesAlarm = true;
      await alarmNoLaterThan(this.ctx.storage, Date.now() + HOUR_MS);
    }
  }

  /** The time series over [from, to) in points of `stepMs`, as the JSON text of {targets, points}. */
  async series(from: number, to: number, stepMs: number): Promise<string> {
    return JSON.stringify(seriesPoints(this.#series.rows(from, to, stepMs), { from, to, stepMs }));
  }

  /** `budget`: the user's policy budget (the hub keeps no policy), for the report's `budget` section. */
  async stats(budget?: Budget): Promise<StatsReport & { budget: BudgetReport }> {
    // Whatever the stats show is in storage too (no write still in flight).
    await this.#perf.flush();
    const now = Date.now();
    const breakers = this.#perf.breakers(now, config(this.env).breaker);
    const { sidecars } = await this.snapshot();
    const report = buildReport({
      counters: this.#perf.counters(),
      windows: this.#perf.windows(),
      breakers,
      sidecars: sidecars.map((s) => ({ sidecarId: s.sidecarId, name: s.name, connectedAt: s.connectedAt, models: s.models.map((m) => m.id), breaker: s.breaker })),
      minSamples: config(this.env).perf.minSamples,
      now,
    });
    return { ...report, budget: this.budgetReport(budget) };
  }

  /** Spend against the budget in force (the user's policy budget with the deployment's). */
  budgetReport(budget?: Budget): BudgetReport {
    return this.#budget.report(effectiveBudget(budget, config(this.env).budget), Date.now());
  }

  async resetStats(): Promise<void> {
    await this.#perf.reset(Date.now());
    this.#series.reset();
  }

  /**
   * The Responses API's store (responses/store.ts): what a turn needs from earlier ones (as JSON of
   * its Context), storing a response (JSON of a StoredResponse), reading and deleting one. JSON text
   * crosses the RPC as one copy.
   */
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

  /** Every store's timed work (see alarms.ts): each sets its own next time, the earliest wins. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    try {
      await this.#responses.expire(now);
    } finally {
      const next = this.#series.tick(now);
      if (next !== undefined) await alarmNoLaterThan(this.ctx.storage, next);
    }
  }

  #views(now: number) {
    return this.#sidecars.views((id) => this.#relay.inflightOn(id), config(this.env).breaker, now);
  }

  /**
   * Run a request at home, or say at once why not. With `wait` (home is all the request has), a model
   * that is loading is asked anyway (the sidecar queues it behind the load) and a full sidecar is
   * waited for until a slot frees, within the request's first-token deadline.
   */
  async open(input: OpenInput): Promise<OpenResult> {
    const openedAt = Date.now();
    const until = openedAt + input.firstTokenMs;
    for (;;) {
      const now = Date.now();
      const choice = pickLocal({ ...input.features, model: input.model, wait: input.wait === true }, this.#views(now));
      if (!choice.ok) return choice;
      if (choice.wait === "overloaded") {
        if (await this.#waitForChange(until)) continue;
        return { ok: false, reason: "overloaded" };
      }
      const before = this.#sidecars.breaker(choice.sidecarId);
      const gate = admit(before, now, config(this.env).breaker);
      if (!gate.allow) return { ok: false, reason: "breaker_open" };
      if (gate.state !== before) await this.#sidecars.setBreaker(choice.sidecarId, gate.state);
      const ws = this.#sidecars.socketOf(choice.sidecarId);
      if (!ws) return { ok: false, reason: "offline" };
      // Time spent waiting for a slot counts against the first-token deadline.
      const left = Math.max(1, until - now);
      const frames = this.#relay.open(input.id, choice.sidecarId, choice.model.id, ws, left, input.features.promptTokens);
      this.#send(ws, { t: "request", id: input.id, model: choice.model.id, body: input.body, ...(input.prefix !== undefined ? { prefix: input.prefix } : {}) });
      return { ok: true, model: choice.model.id, sidecarId: choice.sidecarId, frames };
    }
  }

  /**
   * Embed at home with the named model, on whichever sidecar has it, or say at once why not. Home is
   * an embedding request's only target (never another model), so a full sidecar is waited for and a
   * loading model is asked anyway, within the first-content deadline. The breaker is neither asked
   * nor told: it exists to send chat to the cloud sooner, and an embedding has nowhere else to go.
   */
  async embed(input: EmbedInput): Promise<EmbedOpenResult> {
    const until = Date.now() + input.firstContentMs;
    for (;;) {
      const now = Date.now();
      const choice = pickEmbedder(input.model, this.#views(now), input.avoid);
      if (!choice.ok) return choice;
      if (choice.wait === "overloaded") {
        if (await this.#waitForChange(until)) continue;
        return { ok: false, reason: "overloaded" };
      }
      const ws = this.#sidecars.socketOf(choice.sidecarId);
      if (!ws) return { ok: false, reason: "offline" };
      const frames = this.#relay.open(input.id, choice.sidecarId, choice.model.id, ws, Math.max(1, until - now), 0, "embed");
      this.#send(ws, { t: "embed", id: input.id, model: choice.model.id, input: input.input, ...(input.dimensions ? { dimensions: input.dimensions } : {}) });
      return { ok: true, sidecarId: choice.sidecarId, frames };
    }
  }

  readonly #waiters = new Set<() => void>();

  /** Something that may free a slot happened (a request ended, a state report). */
  #changed(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves true at the next change, false if `until` passes first. */
  #waitForChange(until: number): Promise<boolean> {
    const ms = until - Date.now();
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

  /** The Worker stopped reading (client gone, deadline): cancel at home. */
  async cancel(id: string): Promise<void> {
    this.#relay.cancel(id);
  }

  async snapshot(): Promise<HubSnapshot> {
    const sidecars = this.#sidecars.sockets().flatMap(({ ws, attachment }) => {
      const id = attachment.sidecarId;
      const state = id ? this.#sidecars.state(id) : undefined;
      if (!id || !state) return [];
      const lastSeenAt = this.#sidecars.lastSeen(ws);
      return [{ sidecarId: id, name: attachment.name, connectedAt: attachment.connectedAt, ...state, inflight: this.#relay.inflightOn(id), breaker: this.#sidecars.breaker(id).status, ...(lastSeenAt ? { lastSeenAt } : {}) }];
    });
    return { sidecars };
  }

  /** What /v1/health checks in this hub: sidecars, breakers, each cloud target's recent error rate, the budget. */
  async health(budget?: Budget): Promise<HubHealth> {
    const now = Date.now();
    const cfg = config(this.env);
    const summaries = this.#perf.summaries();
    const cloud: HubHealth["cloud"] = {};
    for (const [target, s] of Object.entries(summaries)) if (!isLocalTarget(target)) cloud[target] = { samples: s.samples, errorRate: s.errorRate };
    const { sidecars } = await this.snapshot();
    return { sidecars, breakers: this.#perf.breakers(now, cfg.breaker), cloud, budget: this.budgetReport(budget) };
  }

  /** The user was deleted: close every connection, so a sidecar cannot keep serving a user that is gone. Returns how many. */
  async closeAll(reason: string): Promise<number> {
    const sockets = this.#sidecars.sockets();
    for (const { ws } of sockets) {
      ws.close(4001, reason);
      await this.#gone(ws);
    }
    // Its live feeds too (not counted: the count is of sidecars).
    this.#live.closeAll(4001, reason);
    return sockets.length;
  }

  /** A sidecar token was revoked: close the connections it opened. Returns how many. */
  async revokeCredential(credentialId: string): Promise<number> {
    let closed = 0;
    for (const { ws, attachment } of this.#sidecars.sockets()) {
      if (attachment.credentialId !== credentialId) continue;
      ws.close(4001, "sidecar token revoked");
      await this.#gone(ws);
      closed++;
    }
    return closed;
  }

  async #recordOutcome(sidecarId: string, outcome: Outcome): Promise<void> {
    const before = this.#sidecars.breaker(sidecarId);
    const after =
      outcome === "success"
        ? recordSuccess()
        : outcome === "failure"
          ? recordFailure(before, Date.now(), config(this.env).breaker)
          : { ...before, probing: false }; // a busy or cancelled probe says nothing: let the next one through
    if (after.status === before.status && after.failures === before.failures && after.probing === before.probing) return;
    if (after.status !== before.status) this.#log.info("breaker", { sidecarId, from: before.status, to: after.status });
    await this.#sidecars.setBreaker(sidecarId, after);
    if (after.status !== before.status) this.#homeEvent("breaker", sidecarId);
  }

  #send(ws: WebSocket, frame: WorkerFrame): void {
    try {
      ws.send(encodeFrame(frame));
    } catch (err) {
      this.#log.warn("send to sidecar failed", { error: err instanceof Error ? err.message : String(err) });
    }
  }
}

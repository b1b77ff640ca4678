/**
 * The user's hub as the Worker sees it: one Durable Object per user (named by the user's id), reached
 * through this interface only. Worker code never imports the Durable Object class, so nothing above
 * depends on the hub's stores or on `cloudflare:workers`; the class states that it implements
 * `HubRpc`, so the two cannot drift apart.
 *
 * The calls come in four groups, each a concern of its own. They are flat methods on the wire (one
 * RPC each, no RpcTarget stubs to keep alive and dispose); the groups are what callers depend on.
 */
import type { Budget } from "@hearth/shared";
import type { BudgetReport, EmbedInput, EmbedOpenResult, HubHealth, HubSnapshot, OpenInput, OpenResult, RouteCall, RouteResult, StatsReport } from "./types.js";

/** The path the Worker forwards a live socket's upgrade with to `fetch` (a sidecar's never has it). */
export const LIVE_PATH = "/v1/live";

/** Planning and running requests at home. */
export interface HomeRpc {
  /** Plans a request with what the hub knows (sidecars, performance, breakers, budget) and, when asked and home goes first, starts it. */
  route(call: RouteCall): Promise<RouteResult>;
  /** Runs a request at home, or says at once why not. */
  open(input: OpenInput): Promise<OpenResult>;
  /** Embeds at home with the named model, or says at once why not. */
  embed(input: EmbedInput): Promise<EmbedOpenResult>;
  /** The Worker stopped reading an attempt: cancel it at home. */
  cancel(id: string): Promise<void>;
}

/** The user's numbers: finished requests in, reports out. */
export interface StatsRpc {
  /** A batch of finished requests, as the JSON text of RequestRecord[] (one copy across the RPC). */
  record(batch: string): Promise<void>;
  /** `unreliableToolsAt`: the user's policy threshold, for the home models' check report. */
  stats(budget?: Budget, unreliableToolsAt?: number): Promise<StatsReport & { budget: BudgetReport }>;
  /** The time series over [from, to) in points of `stepMs`, as JSON text. */
  series(from: number, to: number, stepMs: number): Promise<string>;
  resetStats(): Promise<void>;
  health(budget?: Budget): Promise<HubHealth>;
}

/** The Responses API's store; JSON text crosses the RPC as one copy. */
export interface ResponsesRpc {
  /** What a turn needs from earlier ones: JSON of a ResponsesContext. */
  responsesContext(previous: string | null, refs: string[]): Promise<string>;
  /** JSON of a StoredResponse. */
  responsesPut(record: string): Promise<void>;
  responsesGet(id: string): Promise<string | null>;
  responsesDelete(id: string): Promise<boolean>;
}

/** The user's connections: sidecars and live feeds (WebSocket upgrades go through `fetch`). */
export interface ConnectionsRpc {
  fetch(request: Request): Promise<Response>;
  snapshot(): Promise<HubSnapshot>;
  /** The user was deleted: close every connection. Returns how many sidecars were closed. */
  closeAll(reason: string): Promise<number>;
  /** A sidecar token was revoked: close what it opened. Returns how many. */
  revokeCredential(credentialId: string): Promise<number>;
}

export type HubRpc = HomeRpc & StatsRpc & ResponsesRpc & ConnectionsRpc;

/** The user's hub. */
export function hubFor(env: Env, userId: string): HubRpc {
  // The binding's generated type names the class; callers get the interface it implements.
  return env.SIDECAR_HUB.get(env.SIDECAR_HUB.idFromName(userId)) as unknown as HubRpc;
}

export type * from "./types.js";

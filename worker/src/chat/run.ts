/**
 * One request's run of its plan: the deadlines from the deployment and the user's policy, the request's
 * own signal (client + total deadline), and an opener for each target. `dispose()` when the request is
 * over (stops the total clock, releases home's pre-started attempt if nothing used it).
 */
import type { ChatRequest, RoutingPolicy } from "@hearth/shared";
import type { Context } from "hono";
import { config, type HearthConfig } from "../config.js";
import { requestSignal, type RequestDeadlines } from "../execute/deadlines.js";
import { PlanRun } from "../execute/run.js";
import type { AppEnv } from "../http/types.js";
import type { Planned } from "../routing/plan.js";
import { releasePreStarted, type HomeContext } from "../targets/home.js";
import type { NativeMessages } from "../providers/anthropic/native.js";
import type { NativeResponses } from "../providers/openai/responses.js";
import { openersFor } from "../targets/index.js";
import type { Chunk } from "../targets/types.js";

/**
 * Home's first-token deadline is enforced by its hub, next to the socket (it cancels the generation
 * there and learns from it); the Worker's own clock runs this much longer, as a backstop.
 */
export const HOME_DEADLINE_GRACE_MS = 1_000;

export interface RequestRun {
  run: PlanRun;
  /** Once the answer began, the longest silence between chunks (ms). */
  idleMs: number;
  totalMs: number;
  dispose(): void;
}

/** The deadlines over a whole answer: the user's policy, else the deployment's. */
export function answerDeadlines(cfg: HearthConfig, policy: RoutingPolicy): RequestDeadlines {
  return { idleMs: policy.idleTimeoutMs ?? cfg.idleTimeoutMs, totalMs: policy.totalTimeoutMs ?? cfg.totalTimeoutMs };
}

/** What a request in another API's dialect adds to a run. */
export interface RunExtras {
  /** The client spoke Anthropic's Messages API: Anthropic targets get its own body. */
  anthropic?: NativeMessages;
  /** The client spoke OpenAI's Responses API: OpenAI targets get its own body. */
  openaiResponses?: NativeResponses;
  /** Only this provider can take the request (and why); other targets refuse it up front. */
  only?: { provider: string; what: string };
  /** When an answer counts as begun for this client. Default: its first substantive chunk. */
  begun?: (batch: Chunk[]) => boolean;
}

export function startRun(c: Context<AppEnv>, planned: Planned, req: ChatRequest, extras: RunExtras = {}): RequestRun {
  const cfg = config(c.env);
  const { user } = c.get("principal");
  const policy = user.policy;
  const { idleMs, totalMs } = answerDeadlines(cfg, policy);
  const request = requestSignal(c.req.raw.signal, totalMs);
  const first = planned.plan.targets[0];
  const home: HomeContext = {
    env: c.env,
    userId: user.id,
    req,
    features: planned.local,
    preStarted: planned.opened && first ? { id: planned.opened.id, model: first.model, result: planned.opened.result } : undefined,
    waitUntil: (p) => c.executionCtx.waitUntil(p),
  };
  const cloud = {
    env: c.env,
    req,
    requestId: c.get("requestId"),
    ...(extras.anthropic ? { anthropic: extras.anthropic } : {}),
    ...(extras.openaiResponses ? { openaiResponses: extras.openaiResponses } : {}),
  };
  const run = new PlanRun(planned.plan, openersFor(cloud, home, extras.only), {
    retry: { ...cfg.retry, maxAttemptsPerTarget: policy.maxAttemptsPerTarget ?? cfg.retry.maxAttemptsPerTarget },
    signal: request.signal,
    idleMs,
    firstContentMs: (t) => (t.provider === "local" ? t.deadlineMs + HOME_DEADLINE_GRACE_MS : t.deadlineMs),
    ...(extras.begun ? { begun: extras.begun } : {}),
  });
  return {
    run,
    idleMs,
    totalMs,
    dispose() {
      request.dispose();
      releasePreStarted(home);
    },
  };
}

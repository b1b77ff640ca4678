/**
 * Faults in the cloud, scripted into the fake OpenAI (the first target) and now and then the fake
 * Anthropic (the fallback) too, for a cloud_only user: rate limits, server errors, hangs, cut streams.
 * Faults go to whichever upstream call comes next, retries included.
 */
import type { Fault } from "../../fakes/harness.js";
import { briskModel, type Kind, type KindEnv, type KindRun } from "../kind.js";
import { startHome } from "../stack.js";

/** How often the fallback fails too (then the request must end in a typed error). */
const BOTH_FAIL = 0.25;

async function cloudKind(env: KindEnv, name: string, fault: () => Fault): Promise<KindRun> {
  const home = await startHome(env.stack, { name, model: briskModel(env, name), seed: env.seed, offline: true, policy: { mode: "cloud_only" } });
  const { openai, anthropic } = env.stack;
  return {
    home,
    before() {
      openai.enqueue(fault());
      if (env.rand() < BOTH_FAIL) anthropic.enqueue(fault());
    },
  };
}

export const cloud429: Kind = {
  name: "cloud-429",
  about: "the cloud rate-limits (429, retry-after 0): retried, then the next target, or a typed 429",
  setup: (env) => cloudKind(env, "c429", () => ({ type: "status", status: 429, retryAfter: "0" })),
};

export const cloud500: Kind = {
  name: "cloud-500",
  about: "the cloud answers 500: retried, then the next target, or a typed 5xx",
  setup: (env) => cloudKind(env, "c500", () => ({ type: "status", status: 500 })),
};

export const cloudHang: Kind = {
  name: "cloud-hang",
  about: "the cloud accepts and never answers: first-chunk / upstream deadline, then the next target",
  setup: (env) => cloudKind(env, "chang", () => ({ type: "hang" })),
};

export const cloudCut: Kind = {
  name: "cloud-cut",
  about: "the cloud's stream (or Anthropic's JSON) breaks after 0–7 events: fallback before content, a typed error after",
  setup: (env) => cloudKind(env, "ccut", () => ({ type: "cut", afterEvents: Math.floor(env.rand() * 8) })),
};

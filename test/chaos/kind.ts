/**
 * What a fault kind is: a home (or none) with its fault, set up and torn down around a load of
 * requests, and optionally a disruption running beside that load (kills, restarts, sleeps).
 */
import type { FakeOllamaModel, Spread } from "../fakes/ollama.js";
import type { Mode } from "./classify.js";
import type { Home, Stack } from "./stack.js";

export interface KindEnv {
  stack: Stack;
  /** Multiplies the homes' times (1 = a real CPU home; 0.25 runs it 4× faster). */
  scale: number;
  /** This kind's PRNG for its faults and disruptions (seeded from the run's seed and the kind's name). */
  rand: () => number;
  /** Seed for the kind's fake Ollama. */
  seed: number;
  /** The answer lengths (tokens) of the realistic home. */
  answerTokens: Spread;
  log(message: string): void;
}

/** The load as a disruption sees it. */
export interface Load {
  /** Requests sent so far. */
  sent(): number;
  /** Requests that have ended (answer, error or ceiling). */
  ended(): number;
  /** Requests the kind asked for: the load goes on at least until this many were sent. */
  target: number;
  /** Stops sending new requests; resolves once those in flight have ended. */
  pause(): Promise<void>;
  /** Sends again after a pause. */
  resume(): void;
}

export interface KindRun {
  home: Home;
  /** Called just before request `i` is sent: script its fault here. */
  before?(i: number): void;
  /** Runs beside the load; new requests keep being sent until it resolves (and `target` were sent). */
  disrupt?(load: Load): Promise<void>;
}

export interface Kind {
  name: string;
  /** The fault, and what Hearth must do about it. */
  about: string;
  /** Requests in flight at once. Default: 4 (a home's slots; more would mostly measure its queue). */
  concurrency?: number;
  /**
   * Each client waits this long between its requests: a disruption's load keeps going until it is
   * over, and while home is down the cloud would otherwise answer hundreds. Default: 0.
   */
  gapMs?: number;
  /** Run at least this many requests, whatever the per-kind count. Default: none. */
  minRequests?: number;
  /** Client modes drawn from per request. Default: all four. */
  modes?: readonly Mode[];
  setup(env: KindEnv): Promise<KindRun>;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A uniform draw in [min, max). */
export const between = (rand: () => number, min: number, max: number) => min + (max - min) * rand();

/**
 * A home like the one the issue describes: a 7–8B model on a CPU, 0.5–5 s to its first token, then
 * 5–30 tokens/s, answers of hundreds of tokens.
 */
export function realisticModel(env: KindEnv, name: string): FakeOllamaModel {
  return { name, contextLength: 32_768, firstTokenMs: [500, 5_000], tokensPerSecond: [5, 30], answerTokens: env.answerTokens, timeScale: env.scale };
}

/** A quicker home for kinds whose point is a fault, not slowness: answers are still paced and streamed. */
export function briskModel(env: KindEnv, name: string, overrides: Partial<FakeOllamaModel> = {}): FakeOllamaModel {
  return { name, contextLength: 32_768, firstTokenMs: [200, 1_000], tokensPerSecond: [20, 60], answerTokens: [30, 90], timeScale: env.scale, ...overrides };
}

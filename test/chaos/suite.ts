/**
 * Runs fault kinds against one stack: per kind its setup, a load of requests in mixed client modes
 * (each classified as it ends) beside the kind's disruption, its teardown; returns a summary per kind.
 */
import type { Spread } from "../fakes/ollama.js";
import { hashOf } from "../fakes/paced.js";
import { mulberry32 } from "../../scripts/lib/prng.js";
import { classify, MODES } from "./classify.js";
import { send } from "./client.js";
import type { Kind, KindEnv, KindRun, Load } from "./kind.js";
import { KINDS } from "./kinds/index.js";
import { failedKind, summarize, type KindSummary, type RequestResult } from "./report.js";
import { startStack, type Stack } from "./stack.js";

export interface SuiteOptions {
  /** Requests per kind (a kind may need more, e.g. 64 concurrent streams). */
  perKind: number;
  /** Kind names to run. Default: all, in order. */
  kinds?: readonly string[];
  /** Seeds every draw: client modes, which requests meet a fault, the homes' pacing. */
  seed: number;
  /** The homes' time scale (1 = real CPU times); the suite's deadlines scale with it. */
  scale: number;
  /** Answer lengths (tokens) of the realistic home. */
  answerTokens: Spread;
  /** Progress lines. Default: none. */
  log?: (message: string) => void;
  /** Called once the stack is up, e.g. so a signal handler can stop it. */
  onStack?: (stack: Stack) => void;
}

const DEFAULT_CONCURRENCY = 4;

/** The kinds named (all when none are), in the suite's order; an unknown name is an error. */
export function selectKinds(names: readonly string[] | undefined): Kind[] {
  if (!names || names.length === 0) return [...KINDS];
  const unknown = names.filter((n) => !KINDS.some((k) => k.name === n));
  if (unknown.length > 0) throw new Error(`unknown kind(s): ${unknown.join(", ")}; known: ${KINDS.map((k) => k.name).join(", ")}`);
  return KINDS.filter((k) => names.includes(k.name));
}

interface LoadResult {
  results: RequestResult[];
  /** Set when the disruption broke off (the kind did not run as designed). */
  disruptionError?: string;
}

async function runLoad(stack: Stack, kind: Kind, run: KindRun, env: KindEnv, perKind: number): Promise<LoadResult> {
  const target = Math.max(perKind, kind.minRequests ?? 0);
  const modes = kind.modes ?? MODES;
  // Its own stream: drawn from the kind's, client modes and fault decisions came out correlated.
  const modeRand = mulberry32((env.seed ^ 0x9e3779b9) >>> 0);
  let sent = 0;
  let ended = 0;
  let disrupting = run.disrupt !== undefined;
  let gate: Promise<void> | undefined;
  let open = () => undefined as void;
  const load: Load = {
    sent: () => sent,
    ended: () => ended,
    target,
    async pause() {
      gate ??= new Promise<void>((r) => (open = r));
      while (sent > ended) await new Promise((r) => setTimeout(r, 50));
    },
    resume() {
      open();
      gate = undefined;
    },
  };
  let disruptionError: string | undefined;
  const disruption = (run.disrupt?.(load) ?? Promise.resolve())
    .catch((err: unknown) => void (disruptionError = err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err)))
    .finally(() => (disrupting = false));
  const results: RequestResult[] = [];
  const client = async () => {
    while (sent < target || disrupting) {
      if (gate) {
        await gate;
        continue;
      }
      const i = sent++;
      const mode = modes[Math.floor(modeRand() * modes.length)] ?? "fetch-json";
      const prompt = `Chaos ${kind.name} request ${i}: tell me a long story about home.`;
      run.before?.(i);
      const { observation, ms } = await send({ workerUrl: stack.worker.url, apiKey: run.home.user.apiKey, mode, prompt, ceilingMs: stack.deadlines.ceiling });
      ended++;
      const verdict = classify(observation, (t) => run.home.expected(t, prompt));
      results.push({ mode, verdict, ms });
      if (process.env.CHAOS_DEBUG) env.log(`${kind.name} #${i} ${mode} ${ms} ms ${verdict.outcome} (${verdict.why}) trace: ${observation.trace ?? "-"}`);
      if (kind.gapMs) await new Promise((r) => setTimeout(r, kind.gapMs));
    }
  };
  await Promise.all(Array.from({ length: Math.min(kind.concurrency ?? DEFAULT_CONCURRENCY, target) }, client));
  await disruption;
  return { results, ...(disruptionError ? { disruptionError } : {}) };
}

async function runKind(stack: Stack, kind: Kind, opts: SuiteOptions): Promise<KindSummary> {
  const log = opts.log ?? (() => undefined);
  const seed = (opts.seed ^ hashOf(kind.name)) >>> 0;
  const env: KindEnv = { stack, scale: opts.scale, rand: mulberry32(seed), seed, answerTokens: opts.answerTokens, log };
  stack.openai.reset();
  stack.anthropic.reset();
  let run: KindRun;
  try {
    run = await kind.setup(env);
  } catch (err) {
    return failedKind(kind.name, err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err));
  }
  try {
    const { results, disruptionError } = await runLoad(stack, kind, run, env, opts.perKind);
    const summary = summarize(kind.name, results);
    return disruptionError ? { ...summary, failed: `disruption failed: ${disruptionError}` } : summary;
  } finally {
    await run.home.stop();
    stack.openai.reset();
    stack.anthropic.reset();
  }
}

/** Starts the stack, runs the kinds one after another, stops the stack. */
export async function runSuite(opts: SuiteOptions): Promise<KindSummary[]> {
  const kinds = selectKinds(opts.kinds);
  const log = opts.log ?? (() => undefined);
  const stack = await startStack(opts.scale);
  opts.onStack?.(stack);
  log(`stack up: ${stack.worker.url}; deadlines ${JSON.stringify(stack.deadlines)}`);
  const summaries: KindSummary[] = [];
  try {
    for (const kind of kinds) {
      const started = Date.now();
      log(`${kind.name}: ${kind.about}`);
      const s = await runKind(stack, kind, opts);
      summaries.push(s);
      const counts = `${s.n} requests: ${s.counts.complete} complete, ${s.counts.typed} typed, ${s.counts.lost} lost`;
      const outcome = s.failed ? `${s.failed}; ${counts}` : counts;
      log(`${kind.name}: ${outcome} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
  } finally {
    await stack.stop();
  }
  return summaries;
}

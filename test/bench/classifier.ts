/**
 * `pnpm tsx test/bench/classifier.ts`: what the request classifier costs and what it buys.
 *
 * Latency of classify() per call (µs), and of classify + the home-risk estimate + the agent shape, for a typical chat request, a 4k-token and a 32k-token prompt,
 * each timed --runs times (default 10,000) after --warmup calls (default 2,000), beside a keyword-list
 * classifier of the kind the systems Hearth replaces used (it reads the whole last message, so it is
 * slower than the windowed model on long prompts), and plan() after it. Accuracy is not measured here:
 * scripts/eval-classifier.ts scores the model on collections it never saw.
 *
 * On a shared VM the tail is the scheduler's, not the classifier's: the per-call work is fixed (the
 * window bounds it; the token estimate reads every char once, ~1 ns each, the floor of a JS loop
 * over a string) and the calls allocate a few KB, so a young-generation GC (~0.2 ms) lands on about
 * one call in a thousand. A call that loses the CPU to another process waits a scheduler slice
 * (milliseconds). So the table counts the involuntary context switches during each timed set
 * (`preempted`) and the load average is printed: when preemptions approach 1% of the runs, p99 is
 * measuring them; run again on a quieter machine, or compare p50/p90.
 */
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  agentShape,
  analyze,
  classify,
  homeRisk,
  contentText,
  estimateTextTokens,
  plan,
  summarize as summarizePerf,
  type ChatRequest,
  type PerfSample,
  type PlanInput,
  type SidecarView,
  type TaskKind,
} from "@hearth/shared";
import { parsePrompts } from "../../shared/src/classify/dataset.js";
import { ROOT } from "../support/wrangler.js";
import { percentile, summarize, table } from "./stats.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "10000" }, warmup: { type: "string", default: "2000" } } });
const RUNS = Number(values.runs);
const WARMUP = Number(values.warmup);

// The keyword baseline: count listed words in the last user message, most hits wins, chat if none.
const KEYWORDS: Record<Exclude<TaskKind, "chat">, string[]> = {
  code: ["code", "function", "python", "javascript", "typescript", "java", "bug", "error", "debug", "compile", "sql", "regex", "api", "script", "git", "docker", "```", "react", "npm", "variable", "loop", "array", "exception", "class"],
  math: ["solve", "equation", "calculate", "compute", "integral", "derivative", "prove", "probability", "math", "algebra", "theorem", "percent", "how many", "area", "formula", "matrix"],
  creative: ["poem", "story", "song", "lyrics", "haiku", "limerick", "fiction", "character", "novel", "joke", "sonnet", "verse", "tale"],
  extraction: ["summarize", "summarise", "summary", "extract", "tl;dr", "tldr", "key points", "bullet", "classify", "translate", "convert", "json", "table", "sentiment", "action items"],
  reasoning: ["puzzle", "riddle", "logic", "liar", "tells the truth", "deduce", "must be true"],
};

function keywordKind(req: ChatRequest): TaskKind {
  const last = [...req.messages].reverse().find((m) => m.role === "user");
  const text = last ? contentText(last.content).toLowerCase() : "";
  let best: TaskKind = "chat";
  let bestHits = 0;
  for (const [kind, words] of Object.entries(KEYWORDS) as [TaskKind, string[]][]) {
    let hits = 0;
    for (const w of words) if (text.includes(w)) hits++;
    if (hits > bestHits) [best, bestHits] = [kind, hits];
  }
  return best;
}

const prompts = parsePrompts(readFileSync(join(ROOT, "test/data/prompts.jsonl"), "utf8"));
const corpus = prompts.flatMap((p) => p.messages.map((m) => contentText(m.content))).join("\n\n");

/** A pasted document of about `tokens` tokens (cut from the prompt corpus) with an ask at the end. */
function longPrompt(tokens: number): ChatRequest {
  let text = "";
  while (estimateTextTokens(text) < tokens) text += corpus.slice(0, Math.min(corpus.length, (tokens - estimateTextTokens(text)) * 4 + 16));
  return { model: "m", messages: [{ role: "system", content: "You are a careful assistant." }, { role: "user", content: `${text}\n\nSummarise the text above in ten bullet points.` }] };
}

const chat: ChatRequest = {
  model: "m",
  messages: [
    { role: "system", content: "You are a helpful assistant. Answer briefly." },
    { role: "user", content: "I'm planning a weekend in Lisbon with my partner in October." },
    { role: "assistant", content: "Lovely! October is a great time: warm days, fewer crowds. What do you enjoy?" },
    { role: "user", content: "Food and walking, not museums. Where should we stay and what should we not miss?" },
  ],
};
// Through JSON, as a request body arrives: flat strings, not the concatenations built above.
const asReceived = (req: ChatRequest): ChatRequest => JSON.parse(JSON.stringify(req)) as ChatRequest;
const cases: [string, ChatRequest][] = [
  ["typical chat", asReceived(chat)],
  ["4k-token prompt", asReceived(longPrompt(4_000))],
  ["32k-token prompt", asReceived(longPrompt(32_000))],
];

/**
 * Times a and b in alternating blocks of BLOCK calls, so both see the same spells of machine noise
 * while neither pays for the other's garbage (the keyword baseline lower-cases the whole prompt).
 */
const BLOCK = 500;
interface Timed {
  samples: number[];
  /** Involuntary context switches of the process (any thread) while the set ran: the OS took a CPU away. */
  preempted: number;
}
function timePair(a: () => unknown, b: () => unknown): [Timed, Timed] {
  const block = (fn: () => unknown, n: number, into: Timed | null): void => {
    const before = process.resourceUsage().involuntaryContextSwitches;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      fn();
      into?.samples.push((performance.now() - t0) * 1000);
    }
    if (into) into.preempted += process.resourceUsage().involuntaryContextSwitches - before;
  };
  block(a, WARMUP, null);
  block(b, WARMUP, null);
  const sa: Timed = { samples: [], preempted: 0 };
  const sb: Timed = { samples: [], preempted: 0 };
  for (let done = 0; done < RUNS; done += BLOCK) {
    block(a, Math.min(BLOCK, RUNS - done), sa);
    block(b, Math.min(BLOCK, RUNS - done), sb);
  }
  return [sa, sb];
}

const row = (name: string, who: string, { samples, preempted }: Timed): (string | number)[] => {
  const s = summarize(samples);
  return [name, who, s.p50, s.p90, s.p99, percentile([...samples].sort((x, y) => x - y), 100), s.mean, String(preempted)];
};
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(" ");
const loadBefore = load();
const rows: (string | number)[][] = [];
for (const [name, req] of cases) {
  const [model, keywords] = timePair(() => classify(req), () => keywordKind(req));
  const label = `${name} (~${classify(req).promptTokens} tok)`;
  // What the Worker runs per routed request: the classifier, the home-risk estimate and the agent shape.
  const [assessed] = timePair(() => {
    const a = analyze(req);
    homeRisk(a);
    agentShape({ req, promptTokens: a.classification.promptTokens });
  }, () => keywordKind(req));
  rows.push(row(label, "model", model), row(label, "model+risk+shape", assessed), row(label, "keywords", keywords));
}
console.log(`classify() latency, µs per call, ${RUNS} runs after ${WARMUP} warm-up (Node ${process.version}, ${cpus().length}× ${cpus()[0]?.model ?? "?"})`);
console.log(`load average (1, 5, 15 min): ${loadBefore} before, ${load()} after\n`);
console.log(table(["request", "classifier", "p50", "p90", "p99", "max", "mean", "preempted"], rows));

// The planner runs after the classifier on every routed request (in the user's Durable Object):
// hybrid rules over two sidecars with five models each and full 100-sample windows on four targets.
const sidecars: SidecarView[] = ["box", "laptop"].map((id, i) => ({
  sidecarId: id,
  inflight: i,
  breakerAllows: true,
  state: {
    models: ["llama3.1-8b", "qwen2.5-coder-7b", "phi-3-mini", "mistral-7b", "gemma-2-9b"].map((m, j) => ({
      id: `${m}-${i}`, backend: "ollama" as const, contextLength: 8192, loaded: j < 2, tools: j === 0, tokensPerSecond: 40, sizeBytes: (j + 2) * 1e9,
    })),
    slots: { total: 2, free: 1 }, queue: { depth: 0, max: 4 }, loading: [], freeMemoryBytes: 8e9, draining: false,
  },
}));
const windowOf = (base: number): PerfSample[] => Array.from({ length: 100 }, (_, k) => ({ at: k, ok: k % 17 !== 0, ttftMs: base + (k % 23), tokensPerSecond: 40 }));
const perf = Object.fromEntries(["local", "local/llama3.1-8b-0", "openai/gpt-4.1-mini", "anthropic/claude-sonnet-4-5"].map((t, i) => [t, summarizePerf(windowOf(100 * (i + 1)))]));
const planInput = (req: ChatRequest, mode: "hybrid" | "local_first"): PlanInput => {
  const c = classify(req);
  return {
    model: "auto",
    features: { kind: c.kind, complexity: c.complexity, promptTokens: c.promptTokens, reserveTokens: 256, tools: c.hasTools, images: c.hasImages, json: c.wantsJson, metadata: {} },
    policy: { mode, hedge: { enabled: true } },
    privateRequest: false,
    deploymentAutoTargets: ["anthropic/claude-sonnet-4-5", "openai/gpt-4.1-mini"],
    configured: new Set(["openai", "anthropic", "local"] as const),
    sidecars,
    perf,
    openBreakers: new Set(),
    deadlines: { cloudMs: 30_000, localMs: 10_000 },
  };
};
const hybridInput = planInput(asReceived(chat), "hybrid");
const firstInput = planInput(asReceived(chat), "local_first");
const [hybridPlan, firstPlan] = timePair(() => plan(hybridInput), () => plan(firstInput));
console.log(`\nplan() latency, µs per call (typical chat, after classify())\n`);
console.log(table(["policy", "", "p50", "p90", "p99", "max", "mean", "preempted"], [row("hybrid (8 rules)", "plan", hybridPlan), row("local_first", "plan", firstPlan)]));

const weightsFile = readFileSync(join(ROOT, "shared/src/classify/weights.ts"));
console.log(`\nweights.ts: ${(weightsFile.length / 1024).toFixed(1)} KiB on disk, ${(gzipSync(weightsFile).length / 1024).toFixed(1)} KiB gzipped`);

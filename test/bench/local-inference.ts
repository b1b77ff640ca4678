/**
 * `pnpm tsx test/bench/local-inference.ts`: what the llama.cpp backend costs over calling
 * node-llama-cpp directly. Both run the tiny GGUF with the same settings (CPU, threads, context,
 * two sequences, greedy sampling, seed, no repeat penalty, max tokens), interleaved run by run:
 *   bare     LlamaChat.generateResponse on a context sequence, cleared after each run
 *   backend  Backend.generate(): catalog lookup, request planning, prompt-length check, lease,
 *            streaming through the event queue, release
 * Speed is completion tokens over the whole request's wall time (prompt included), per run. This
 * machine's speed drifts by ±20% between minutes, so besides the ratio of the two medians it prints
 * the median of the per-pair ratios (each backend run against the bare run next to it).
 *
 * Options: --runs N per variant (default 100; fewer leave the ratio within ±3% noise here), --max-tokens N (default 128), --threads N (default 1).
 */
import { parseArgs } from "node:util";
import type { ChatRequest } from "@hearth/shared";
// test/ does not depend on node-llama-cpp itself; this is the sidecar's copy (the same module
// instance the backend loads, since Node resolves the pnpm symlink to one real path).
import { getLlama, LlamaChat, resolveChatWrapper, type ChatHistoryItem, type LlamaContextSequence } from "node-llama-cpp";
import { createLlamaCppBackend } from "../../sidecar/src/backends/llama-cpp/index.js";
import type { Backend } from "../../sidecar/src/backends/types.js";
import { ensureTinyModel } from "../../scripts/lib/tiny-gguf.js";
import { summarize, table } from "./stats.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "100" },
    "max-tokens": { type: "string", default: "128" },
    threads: { type: "string", default: "1" },
  },
});
const RUNS = Number(values.runs);
const MAX_TOKENS = Number(values["max-tokens"]);
const THREADS = Number(values.threads);
const SEED = 1;
const PARALLEL = 2;
const PROMPT = "Write a short poem about a hearth.";

interface Run {
  tokens: number;
  ms: number;
  text: string;
}

async function bareSetup(path: string) {
  const llama = await getLlama({ gpu: false, build: "never", maxThreads: THREADS });
  const model = await llama.loadModel({ modelPath: path });
  const context = await model.createContext({ contextSize: model.trainContextSize, sequences: PARALLEL, threads: THREADS });
  const sequence: LlamaContextSequence = context.getSequence();
  const chatWrapper = resolveChatWrapper(model);
  const run = async (): Promise<Run> => {
    const history: ChatHistoryItem[] = [{ type: "user", text: PROMPT }, { type: "model", response: [] }];
    const before = sequence.tokenMeter.usedOutputTokens;
    let text = "";
    const t0 = performance.now();
    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper });
    await chat.generateResponse(history, { maxTokens: MAX_TOKENS, temperature: 0, seed: SEED, repeatPenalty: false, onTextChunk: (t) => (text += t) });
    const ms = performance.now() - t0;
    chat.dispose({ disposeSequence: false });
    await sequence.clearHistory();
    return { tokens: sequence.tokenMeter.usedOutputTokens - before, ms, text };
  };
  return { run, dispose: () => llama.dispose() };
}

function backendRun(backend: Backend): () => Promise<Run> {
  const req: ChatRequest = { model: "local/hearth-tiny", messages: [{ role: "user", content: PROMPT }], max_tokens: MAX_TOKENS, temperature: 0, seed: SEED };
  const signal = new AbortController().signal;
  return async () => {
    let text = "";
    let tokens = 0;
    const t0 = performance.now();
    for await (const e of backend.generate("hearth-tiny", req, { signal })) {
      if (e.type === "text") text += e.text;
      else if (e.type === "end") tokens = e.usage.completion_tokens;
    }
    return { tokens, ms: performance.now() - t0, text };
  };
}

const path = await ensureTinyModel();
const bare = await bareSetup(path);
const backend = await createLlamaCppBackend({ paths: [path], gpu: false, threads: THREADS, parallel: PARALLEL });
const variants = { bare: bare.run, backend: backendRun(backend) };
const speeds: Record<keyof typeof variants, number[]> = { bare: [], backend: [] };
const texts = new Set<string>();

// Warm-up: loads the backend's model, fills caches, settles the CPU clock.
for (let i = 0; i < 3; i++) for (const run of Object.values(variants)) await run();

const pairRatios: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const order = i % 2 === 0 ? (["bare", "backend"] as const) : (["backend", "bare"] as const);
  for (const name of order) {
    const r = await variants[name]();
    speeds[name].push((r.tokens / r.ms) * 1000);
    texts.add(r.text);
  }
  pairRatios.push((speeds.backend[i] ?? NaN) / (speeds.bare[i] ?? NaN));
}

const bareS = summarize(speeds.bare);
const backendS = summarize(speeds.backend);
const pairs = summarize(pairRatios);
process.stdout.write(
  `tiny GGUF, CPU, ${THREADS} thread(s), ${PARALLEL} sequences, max_tokens ${MAX_TOKENS}, temperature 0, ${RUNS} interleaved runs each\n\n` +
    table(
      ["tokens/s", "n", "p50", "p90", "mean"],
      [
        ["bare node-llama-cpp", String(bareS.n), bareS.p50, bareS.p90, bareS.mean],
        ["backend.generate()", String(backendS.n), backendS.p50, backendS.p90, backendS.mean],
        ["ratio backend/bare", "", backendS.p50 / bareS.p50, backendS.p90 / bareS.p90, backendS.mean / bareS.mean],
        ["ratio per pair", String(pairs.n), pairs.p50, pairs.p90, pairs.mean],
      ],
    ) +
    `\n\nsame text from both (greedy): ${texts.size === 1 ? "yes" : `no (${texts.size} variants)`}\n`,
);
await backend.dispose();
await bare.dispose();

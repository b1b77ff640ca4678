/**
 * pnpm chaos [--per-kind N] [--kinds a,b] [--seed S] [--scale X] [--answer-tokens MIN-MAX] [--list]
 *
 * Runs the whole stack (wrangler dev, the real sidecar, fakes behind both) through every fault kind
 * and prints one table: kind × n / complete / typed / lost / median and p99 time to the end. Exits 1
 * if any request was lost (or a kind could not run). Defaults are the full run: 50 requests per kind
 * at real CPU-home times (scale 1), answers of 100–400 tokens; CI runs a short version
 * (test/e2e/chaos.test.ts).
 */
import { parseArgs } from "node:util";
import { KINDS } from "./kinds/index.js";
import { lostDetails, nothingLost, table } from "./report.js";
import type { Stack } from "./stack.js";
import { runSuite } from "./suite.js";

const { values } = parseArgs({
  options: {
    "per-kind": { type: "string", default: "50" },
    kinds: { type: "string" },
    seed: { type: "string", default: "1" },
    scale: { type: "string", default: "1" },
    "answer-tokens": { type: "string", default: "100-400" },
    list: { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`chaos: ${message}\n`);
  process.exit(2);
}

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) fail(`--${name} must be a positive number, got '${value}'`);
  return n;
}

if (values.list) {
  for (const k of KINDS) process.stdout.write(`${k.name.padEnd(20)} ${k.about}\n`);
  process.exit(0);
}

const range = /^(\d+)-(\d+)$/.exec(values["answer-tokens"] ?? "");
if (!range) fail(`--answer-tokens must be MIN-MAX, got '${values["answer-tokens"]}'`);
const answerTokens: [number, number] = [Number(range[1]), Number(range[2])];
const perKind = Math.round(positive("per-kind", values["per-kind"]));
const seed = Math.round(positive("seed", values.seed));
const scale = positive("scale", values.scale);
const kinds = values.kinds?.split(",").map((k) => k.trim()).filter(Boolean);
const log = values.quiet ? undefined : (m: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);

// wrangler dev runs in its own process group: Ctrl-C must stop it (and the sidecars) explicitly.
let stack: Stack | undefined;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    process.stderr.write(`chaos: ${sig}, stopping the stack\n`);
    void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

const started = Date.now();
let summaries;
try {
  const onStack = (s: Stack) => void (stack = s);
  summaries = await runSuite({ perKind, seed, scale, answerTokens, onStack, ...(kinds ? { kinds } : {}), ...(log ? { log } : {}) });
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
process.stdout.write(`\nchaos: seed ${seed}, scale ${scale}, ${perKind} per kind, answers ${answerTokens.join("–")} tokens, ${minutes} min\n\n`);
process.stdout.write(`${table(summaries)}\n`);
const details = lostDetails(summaries);
if (details) process.stdout.write(`\nlost, by client mode and symptom:\n${details}\n`);
process.exit(nothingLost(summaries) ? 0 : 1);

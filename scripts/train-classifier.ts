/**
 * `pnpm tsx scripts/train-classifier.ts`: fits the request classifier's linear model on the train
 * split of test/data/prompts.jsonl and writes shared/src/classify/weights.ts.
 *
 * Multinomial logistic regression with L2, mini-batch Adam, a seeded shuffle: the same data and
 * options give the same weights file byte for byte. Features come from the classifier's own
 * featurizeRequest, so training and serving cannot drift apart. The weights are quantised to int8
 * with one scale, and the accuracies printed are those of the quantised model run through
 * classifyWith, exactly as served.
 *
 * Options: --bits B (log2 buckets, default 13), --epochs N (30), --l2 L (1e-5), --lr R (0.02),
 * --batch N (16), --seed S (1), --cv K (K-fold cross-validation on the train split, writes nothing),
 * --dry-run (print accuracies, do not write), --errors (list the held-out prompts it gets wrong).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ChatRequest } from "../shared/src/openai/request.js";
import { classifyWith, featurizeRequest } from "../shared/src/classify/classifier.js";
import { isHeldOut, parsePrompts, type LabelledPrompt } from "../shared/src/classify/dataset.js";
import { TASK_KINDS, type TaskKind } from "../shared/src/classify/kinds.js";
import { encodeBase64, ngramNorm, type LinearModel } from "../shared/src/classify/model.js";
import { FEATURE_VERSION, type FeatureSink } from "../shared/src/classify/ngrams.js";
import { mulberry32 } from "./lib/prng.js";

const ROOT = join(import.meta.dirname, "..");
const K = TASK_KINDS.length;

const { values } = parseArgs({
  options: {
    bits: { type: "string", default: "13" },
    epochs: { type: "string", default: "30" },
    l2: { type: "string", default: "1e-5" },
    lr: { type: "string", default: "0.02" },
    batch: { type: "string", default: "16" },
    seed: { type: "string", default: "1" },
    cv: { type: "string" },
    "dry-run": { type: "boolean", default: false },
    errors: { type: "boolean", default: false },
  },
});
const opts = {
  bits: Number(values.bits),
  epochs: Number(values.epochs),
  l2: Number(values.l2),
  lr: Number(values.lr),
  batch: Number(values.batch),
  seed: Number(values.seed),
};

interface Example {
  index: Int32Array;
  value: Float64Array;
  label: number;
}

const request = (p: LabelledPrompt): ChatRequest => ({ model: "classifier", messages: p.messages });

/** The feature vector the serving sink would see: n-grams scaled by 1/√mass, dense features as is. */
function vectorize(p: LabelledPrompt, bits: number): Example {
  const shift = 32 - bits;
  const ngrams = new Map<number, number>();
  const dense = new Map<number, number>();
  let mass = 0;
  const sink: FeatureSink = {
    ngram(hash, weight) {
      const b = hash >>> shift;
      ngrams.set(b, (ngrams.get(b) ?? 0) + (hash & 1 ? -weight : weight));
      mass += weight;
    },
    dense(hash) {
      const b = hash >>> shift;
      dense.set(b, (dense.get(b) ?? 0) + (hash & 1 ? -1 : 1));
    },
  };
  featurizeRequest(request(p), sink);
  const norm = ngramNorm(mass);
  for (const [b, v] of ngrams) dense.set(b, (dense.get(b) ?? 0) + v * norm);
  const entries = [...dense.entries()].sort((a, b) => a[0] - b[0]);
  return { index: Int32Array.from(entries, (e) => e[0]), value: Float64Array.from(entries, (e) => e[1]), label: TASK_KINDS.indexOf(p.kind) };
}


function logits(w: Float64Array, bias: Float64Array, ex: Example, out: Float64Array): void {
  for (let k = 0; k < K; k++) out[k] = bias[k] ?? 0;
  for (let j = 0; j < ex.index.length; j++) {
    const base = (ex.index[j] ?? 0) * K;
    const v = ex.value[j] ?? 0;
    for (let k = 0; k < K; k++) out[k] = (out[k] ?? 0) + (w[base + k] ?? 0) * v;
  }
  let max = -Infinity;
  for (let k = 0; k < K; k++) max = Math.max(max, out[k] ?? 0);
  let total = 0;
  for (let k = 0; k < K; k++) total += out[k] = Math.exp((out[k] ?? 0) - max);
  for (let k = 0; k < K; k++) out[k] = (out[k] ?? 0) / total;
}

function train(examples: Example[], o: typeof opts): { weights: Float64Array; bias: Float64Array } {
  const n = (1 << o.bits) * K + K; // the weights, then the biases, in one parameter vector
  const theta = new Float64Array(n);
  const grad = new Float64Array(n);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const biasAt = n - K;
  const random = mulberry32(o.seed);
  const order = examples.map((_, i) => i);
  const p = new Float64Array(K);
  let step = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
    }
    for (let start = 0; start < order.length; start += o.batch) {
      const batch = order.slice(start, start + o.batch);
      grad.fill(0);
      for (const idx of batch) {
        const ex = examples[idx];
        if (!ex) continue;
        logits(theta.subarray(0, biasAt), theta.subarray(biasAt), ex, p);
        for (let k = 0; k < K; k++) {
          const g = ((p[k] ?? 0) - (k === ex.label ? 1 : 0)) / batch.length;
          grad[biasAt + k] = (grad[biasAt + k] ?? 0) + g;
          for (let j = 0; j < ex.index.length; j++) {
            const at = (ex.index[j] ?? 0) * K + k;
            grad[at] = (grad[at] ?? 0) + g * (ex.value[j] ?? 0);
          }
        }
      }
      step++;
      const c1 = 1 - b1 ** step;
      const c2 = 1 - b2 ** step;
      for (let i = 0; i < n; i++) {
        const t = theta[i] ?? 0;
        const g = (grad[i] ?? 0) + (i < biasAt ? o.l2 * t : 0);
        const mi = (m[i] = b1 * (m[i] ?? 0) + (1 - b1) * g);
        const vi = (v[i] = b2 * (v[i] ?? 0) + (1 - b2) * g * g);
        theta[i] = t - (o.lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
      }
    }
  }
  return { weights: theta.slice(0, biasAt), bias: theta.slice(biasAt) };
}

function quantize(w: Float64Array, bias: Float64Array, bits: number): { model: LinearModel; bytes: Uint8Array } {
  let max = 0;
  for (const x of w) max = Math.max(max, Math.abs(x));
  const scale = max > 0 ? max / 127 : 1;
  const q = Int8Array.from(w, (x) => Math.round(x / scale));
  const roundedScale = Number(scale.toPrecision(8));
  const roundedBias = Array.from(bias, (b) => Number(b.toFixed(6)));
  return { model: { bits, weights: q, scale: roundedScale, bias: roundedBias }, bytes: new Uint8Array(q.buffer) };
}

type Tally = Record<TaskKind, { right: number; total: number }>;

function evaluate(model: LinearModel, prompts: readonly LabelledPrompt[]): { tally: Tally; overall: number; confusion: number[][] } {
  const tally = Object.fromEntries(TASK_KINDS.map((k) => [k, { right: 0, total: 0 }])) as Tally;
  const confusion = TASK_KINDS.map(() => TASK_KINDS.map(() => 0));
  let right = 0;
  for (const p of prompts) {
    const got = classifyWith(model, request(p)).kind;
    tally[p.kind].total++;
    const row = confusion[TASK_KINDS.indexOf(p.kind)];
    if (row) row[TASK_KINDS.indexOf(got)] = (row[TASK_KINDS.indexOf(got)] ?? 0) + 1;
    if (got === p.kind) {
      tally[p.kind].right++;
      right++;
    }
  }
  return { tally, overall: right / Math.max(1, prompts.length), confusion };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

function report(name: string, r: ReturnType<typeof evaluate>): void {
  const kinds = TASK_KINDS.map((k) => `${k} ${pct(r.tally[k].right / Math.max(1, r.tally[k].total))} (${r.tally[k].right}/${r.tally[k].total})`);
  console.log(`${name.padEnd(6)} overall ${pct(r.overall)} | ${kinds.join(" | ")}`);
}

function fit(prompts: readonly LabelledPrompt[]): { model: LinearModel; bytes: Uint8Array } {
  const { weights, bias } = train(prompts.map((p) => vectorize(p, opts.bits)), opts);
  return quantize(weights, bias, opts.bits);
}

function crossValidate(prompts: readonly LabelledPrompt[], folds: number): void {
  let right = 0;
  for (let f = 0; f < folds; f++) {
    const { model } = fit(prompts.filter((_, i) => i % folds !== f));
    const held = prompts.filter((_, i) => i % folds === f);
    right += evaluate(model, held).overall * held.length;
  }
  console.log(`cv ${folds}-fold on train: ${pct(right / prompts.length)}`, JSON.stringify(opts));
}

function weightsModule(model: LinearModel, bytes: Uint8Array, trainCount: number): string {
  const b64 = encodeBase64(bytes);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 100) lines.push(`    "${b64.slice(i, i + 100)}",`);
  return `// GENERATED by scripts/train-classifier.ts — do not edit by hand; rerun \`pnpm tsx scripts/train-classifier.ts\`.
// Multinomial logistic regression, ${1 << model.bits} hashed buckets × ${K} kinds, int8 with one scale.
// Trained on the ${trainCount} train-split prompts of test/data/prompts.jsonl with ${JSON.stringify(opts)}.
import type { WeightsFile } from "./model.js";

export const WEIGHTS: WeightsFile = {
  featureVersion: ${FEATURE_VERSION},
  bits: ${model.bits},
  kinds: ${JSON.stringify(TASK_KINDS)},
  scale: ${model.scale},
  bias: ${JSON.stringify(model.bias)},
  data: [
${lines.join("\n")}
  ],
};
`;
}

const all = parsePrompts(readFileSync(join(ROOT, "test/data/prompts.jsonl"), "utf8"));
const trainSet = all.filter((p) => !isHeldOut(p.id));
const testSet = all.filter((p) => isHeldOut(p.id));
console.log(`prompts: ${all.length} (train ${trainSet.length}, test ${testSet.length})`);
if (values.cv) crossValidate(trainSet, Number(values.cv));
else {
  const t0 = performance.now();
  const { model, bytes } = fit(trainSet);
  console.log(`trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  report("train", evaluate(model, trainSet));
  const test = evaluate(model, testSet);
  report("test", test);
  console.log(`confusion (rows: truth, columns: predicted; ${TASK_KINDS.join(", ")})`);
  TASK_KINDS.forEach((k, i) => console.log(`  ${k.padEnd(10)} ${(test.confusion[i] ?? []).map((c) => String(c).padStart(3)).join(" ")}`));
  if (values.errors) {
    for (const p of testSet) {
      const c = classifyWith(model, request(p));
      if (c.kind === p.kind) continue;
      const text = p.messages.map((m) => (typeof m.content === "string" ? m.content : "")).join(" / ");
      console.log(`  ${p.id} → ${c.kind} (${c.kindScores[c.kind].toFixed(2)}): ${text.slice(0, 100).replace(/\s+/g, " ")}`);
    }
  }
  if (!values["dry-run"]) {
    const file = join(ROOT, "shared/src/classify/weights.ts");
    writeFileSync(file, weightsModule(model, bytes, trainSet.length));
    console.log(`wrote ${file} (${bytes.length} weight bytes)`);
  }
}

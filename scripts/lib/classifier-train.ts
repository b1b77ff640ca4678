/**
 * Fitting and scoring the classifier's linear model, shared by scripts/train-classifier.ts and
 * scripts/eval-classifier.ts so the evaluation measures exactly what training ships.
 *
 * Multinomial logistic regression with L2, mini-batch Adam, a seeded shuffle; each example is
 * weighted so that every kind carries the same total weight whatever the sources' sizes. Features
 * come from the classifier's own featurizeRequest, so training and serving cannot drift apart. The
 * weights are quantised to int8 with one scale, and scoring runs the quantised model through
 * classifyWith, exactly as served.
 */
import { readFileSync } from "node:fs";
import { classifyWith, featurizeRequest, type Classification } from "../../shared/src/classify/classifier.js";
import { TASK_KINDS, type TaskKind } from "../../shared/src/classify/kinds.js";
import { ngramNorm, type LinearModel } from "../../shared/src/classify/model.js";
import { fnv1a } from "../../shared/src/classify/hash.js";
import type { FeatureSink } from "../../shared/src/classify/ngrams.js";
import type { ChatMessage, ChatRequest } from "../../shared/src/openai/request.js";
import { mulberry32 } from "./prng.js";

const K = TASK_KINDS.length;

export interface CorpusRecord {
  id: string;
  source: string;
  license: string;
  kind: TaskKind;
  messages: ChatMessage[];
  answer?: string;
  level?: number;
  label?: string;
}

export function loadCorpus(file: string): CorpusRecord[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as CorpusRecord);
}

export interface TrainOptions {
  bits: number;
  epochs: number;
  l2: number;
  lr: number;
  batch: number;
  seed: number;
  /** At most this many prompts from one source (a stable hash sample), so no collection dominates. */
  cap: number;
  /** Add constrained and multi-turn variants of the training prompts (see augment). */
  augment: boolean;
}

export const DEFAULT_OPTIONS: TrainOptions = { bits: 15, epochs: 8, l2: 1e-6, lr: 0.01, batch: 32, seed: 1, cap: 2500, augment: true };

export interface Example {
  index: Int32Array;
  value: Float32Array;
  label: number;
}

export const request = (messages: ChatMessage[]): ChatRequest => ({ model: "classifier", messages });

/** The feature vector the serving sink would see: n-grams scaled by 1/√mass, dense features as is. */
export function vectorize(messages: ChatMessage[], kind: TaskKind, bits: number): Example {
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
  featurizeRequest(request(messages), sink);
  const norm = ngramNorm(mass);
  for (const [b, v] of ngrams) dense.set(b, (dense.get(b) ?? 0) + v * norm);
  const entries = [...dense.entries()].sort((a, b) => a[0] - b[0]);
  return { index: Int32Array.from(entries, (e) => e[0]), value: Float32Array.from(entries, (e) => e[1]), label: TASK_KINDS.indexOf(kind) };
}

/** A stable sample of at most `cap` records per source. */
export function capPerSource<T extends { id: string; source: string }>(records: readonly T[], cap: number): T[] {
  const by = new Map<string, T[]>();
  for (const r of records) by.set(r.source, [...(by.get(r.source) ?? []), r]);
  const out: T[] = [];
  for (const list of by.values()) {
    if (list.length <= cap) out.push(...list);
    else out.push(...[...list].sort((a, b) => fnv1a(`cap:${a.id}`) - fnv1a(`cap:${b.id}`)).slice(0, cap));
  }
  return out;
}

function softmaxInto(w: Float64Array, bias: Float64Array, ex: Example, out: Float64Array): void {
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

export function train(examples: readonly Example[], o: TrainOptions): { weights: Float64Array; bias: Float64Array } {
  const n = (1 << o.bits) * K + K; // the weights, then the biases, in one parameter vector
  const theta = new Float64Array(n);
  const grad = new Float64Array(n);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const biasAt = n - K;
  // Every kind carries the same total weight.
  const perKind = new Array<number>(K).fill(0);
  for (const ex of examples) perKind[ex.label] = (perKind[ex.label] ?? 0) + 1;
  const present = perKind.filter((c) => c > 0).length;
  const kindWeight = perKind.map((c) => (c > 0 ? examples.length / (present * c) : 0));
  const random = mulberry32(o.seed);
  const order = examples.map((_, i) => i);
  const p = new Float64Array(K);
  const touched = new Uint8Array(n);
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
        softmaxInto(theta.subarray(0, biasAt), theta.subarray(biasAt), ex, p);
        const wt = (kindWeight[ex.label] ?? 1) / batch.length;
        for (let k = 0; k < K; k++) {
          const g = ((p[k] ?? 0) - (k === ex.label ? 1 : 0)) * wt;
          grad[biasAt + k] = (grad[biasAt + k] ?? 0) + g;
          for (let j = 0; j < ex.index.length; j++) {
            const at = (ex.index[j] ?? 0) * K + k;
            grad[at] = (grad[at] ?? 0) + g * (ex.value[j] ?? 0);
            touched[at] = 1;
          }
        }
      }
      step++;
      const c1 = 1 - b1 ** step;
      const c2 = 1 - b2 ** step;
      for (let i = 0; i < n; i++) {
        const t = theta[i] ?? 0;
        if (t === 0 && touched[i] === 0 && i < biasAt) continue; // a bucket no example has reached stays 0
        const g = (grad[i] ?? 0) + (i < biasAt ? o.l2 * t : 0);
        const mi = (m[i] = b1 * (m[i] ?? 0) + (1 - b1) * g);
        const vi = (v[i] = b2 * (v[i] ?? 0) + (1 - b2) * g * g);
        theta[i] = t - (o.lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
      }
    }
  }
  return { weights: theta.slice(0, biasAt), bias: theta.slice(biasAt) };
}

export function quantize(w: Float64Array, bias: Float64Array, bits: number): { model: LinearModel; bytes: Uint8Array } {
  let max = 0;
  for (const x of w) max = Math.max(max, Math.abs(x));
  const scale = max > 0 ? max / 127 : 1;
  const q = Int8Array.from(w, (x) => Math.round(x / scale));
  const roundedScale = Number(scale.toPrecision(8));
  const roundedBias = Array.from(bias, (b) => Number(b.toFixed(6)));
  return { model: { bits, weights: q, scale: roundedScale, bias: roundedBias }, bytes: new Uint8Array(q.buffer) };
}

// Training-time variants. These sentences are not the ones scripts/eval-classifier.ts appends, so
// the evaluation of constrained and multi-turn prompts still tests something the model never saw.
const TRAIN_CONSTRAINTS = [
  "Keep it under 150 words.",
  "Respond in at most five sentences.",
  "Format the answer as a numbered list.",
  "Don't use the letter z anywhere.",
  "Make sure to include the word 'because' at least twice.",
  "Put your whole answer in JSON with a single key named answer.",
  "Answer in a formal register and avoid contractions.",
  "Start your reply with the word 'Sure'.",
  "Write everything in capital letters.",
  "Finish with a P.S. at the end.",
  "Use no more than two paragraphs.",
  "Please be concise and skip any preamble.",
];
const TRAIN_FOLLOW_UPS = ["why?", "Can you give another example?", "great, thanks! one more thing: can you double check it?", "hmm, I don't get the last step", "shorter please", "what if it were the other way round?"];

const lastUser = (r: CorpusRecord): string => {
  const m = r.messages[r.messages.length - 1];
  return typeof m?.content === "string" ? m.content : "";
};

/**
 * For about a quarter of the records each: the ask with two or three constraint sentences appended;
 * the ask after an unrelated finished exchange of another kind; the exchange followed by a short
 * follow-up (records with a reference answer only). Labels stay the record's own kind.
 */
export function augment(records: readonly CorpusRecord[]): CorpusRecord[] {
  const withAnswer = records.filter((r) => r.answer);
  const out: CorpusRecord[] = [];
  for (const r of records) {
    const h = fnv1a(`aug:${r.id}`);
    if (h % 4 === 0) {
      const picked = [0, 1, 2].slice(0, 2 + (h % 2)).map((i) => TRAIN_CONSTRAINTS[(h + i * 5) % TRAIN_CONSTRAINTS.length]);
      out.push({ ...r, id: `${r.id}~c`, messages: [...r.messages.slice(0, -1), { role: "user", content: `${lastUser(r)}\n\n${picked.join(" ")}` }] });
    }
    if (h % 4 === 1 && withAnswer.length > 0) {
      const o = withAnswer[(h >>> 3) % withAnswer.length];
      if (o?.answer && o.kind !== r.kind) out.push({ ...r, id: `${r.id}~s~${o.id}`, messages: [{ role: "user", content: lastUser(o) }, { role: "assistant", content: o.answer }, ...r.messages] });
    }
    if (h % 4 === 2 && r.answer) {
      out.push({ ...r, id: `${r.id}~f`, messages: [...r.messages, { role: "assistant", content: r.answer }, { role: "user", content: TRAIN_FOLLOW_UPS[(h >>> 3) % TRAIN_FOLLOW_UPS.length] ?? "" }] });
    }
  }
  return out;
}

/** Vectorizes (once per record) and fits; the cache lets the evaluation's many folds share vectors. */
export class Trainer {
  private readonly cache = new Map<string, Example>();
  constructor(readonly options: TrainOptions) {}

  example(r: CorpusRecord): Example {
    let ex = this.cache.get(r.id);
    if (!ex) this.cache.set(r.id, (ex = vectorize(r.messages, r.kind, this.options.bits)));
    return ex;
  }

  fit(records: readonly CorpusRecord[]): { model: LinearModel; bytes: Uint8Array; count: number } {
    const capped = capPerSource(records, this.options.cap);
    const chosen = this.options.augment ? [...capped, ...augment(capped)] : capped;
    const { weights, bias } = train(chosen.map((r) => this.example(r)), this.options);
    return { ...quantize(weights, bias, this.options.bits), count: chosen.length };
  }
}

export interface Scored {
  record: CorpusRecord;
  got: Classification;
}

export const score = (model: LinearModel, records: readonly CorpusRecord[]): Scored[] =>
  records.map((record) => ({ record, got: classifyWith(model, request(record.messages)) }));

/** rows: truth, columns: predicted, TASK_KINDS order. */
export function confusion(scored: readonly Scored[]): number[][] {
  const m = TASK_KINDS.map(() => TASK_KINDS.map(() => 0));
  for (const s of scored) {
    const row = m[TASK_KINDS.indexOf(s.record.kind)];
    const col = TASK_KINDS.indexOf(s.got.kind);
    if (row) row[col] = (row[col] ?? 0) + 1;
  }
  return m;
}

export const accuracy = (scored: readonly Scored[]): number => scored.filter((s) => s.got.kind === s.record.kind).length / Math.max(1, scored.length);

export const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** A plain text table, columns padded; numbers right-aligned. */
export function textTable(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [head, ...rows].map((r) => r.map((c) => String(c)));
  const width = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(width[i] ?? 0) : c.padStart(width[i] ?? 0))).join("  ");
  return [line(cells[0] ?? []), width.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

export function confusionTable(m: readonly number[][]): string {
  const short: Record<TaskKind, string> = { chat: "chat", code: "code", math: "math", creative: "creat", extraction: "extr", reasoning: "reas" };
  const rows = TASK_KINDS.map((k, i) => {
    const row = m[i] ?? [];
    const n = row.reduce((a, b) => a + b, 0);
    return [k, ...row, n, pct((row[i] ?? 0) / Math.max(1, n))];
  });
  return textTable(["truth \\ predicted", ...TASK_KINDS.map((k) => short[k]), "n", "recall"], rows);
}

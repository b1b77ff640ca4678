/**
 * `pnpm tsx scripts/eval-classifier.ts`: an evaluation of the request classifier that cannot
 * flatter itself. Every number comes from a model that never saw the collection it is tested on:
 *
 * 1. Leave one group of sources out (GROUPS below, five folds; `--folds sources` for one fold per
 *    source, ~4× slower): for each group, train on every other training source and test each of the
 *    group's sources. A group never holds every source of a kind, so each fold still trains every
 *    kind, on other collections. Sources marked `eval` (BIG-Bench Hard) are never trained on; they
 *    are scored by the model trained on every training source.
 * 2. Long multi-constraint prompts: held-out prompts with four formatting/length constraints
 *    appended (the shape that used to read as extraction); the kind must not move.
 * 3. Multi-turn: a held-out prompt after an unrelated finished exchange (the kind must follow the
 *    last ask), and a held-out exchange followed by a short follow-up (the kind must stay).
 * 4. The confusion matrix over all of the above's single-turn predictions.
 * 5. Complexity against difficulty: Spearman's rank correlation with GSM8K (level 0) and MATH
 *    levels 1–5, and how often `hard-to-cloud` (complexity ≥ 0.5) fires per level, on the MATH
 *    half not used to tune complexity.ts (split by id hash) and held out from the kind model.
 *
 * Options: --per-source N (prompts tested per source, default 1000), --folds groups|sources,
 * --corpus FILE, plus the training options of scripts/train-classifier.ts (--bits, --epochs, …).
 * Six fits of ~35k prompts: about 10 minutes on one free core; run it under `nice` on a shared box.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { classifyWith } from "../shared/src/classify/classifier.js";
import { fnv1a } from "../shared/src/classify/hash.js";
import { TASK_KINDS, type TaskKind } from "../shared/src/classify/kinds.js";
import type { LinearModel } from "../shared/src/classify/model.js";
import { DEFAULT_RULES, firstMatch } from "../shared/src/routing/rules.js";
import type { ChatMessage } from "../shared/src/openai/request.js";
import { SOURCES } from "./lib/classifier-sources.js";
import {
  DEFAULT_OPTIONS, Trainer, accuracy, capPerSource, confusion, confusionTable, loadCorpus, pct, request, score, textTable,
  type CorpusRecord, type Scored,
} from "./lib/classifier-train.js";
import { spearman } from "./lib/rank.js";

const ROOT = join(import.meta.dirname, "..");
const d = DEFAULT_OPTIONS;
const { values } = parseArgs({
  options: {
    bits: { type: "string", default: String(d.bits) },
    epochs: { type: "string", default: String(d.epochs) },
    cap: { type: "string", default: String(d.cap) },
    "per-source": { type: "string", default: "1000" },
    folds: { type: "string", default: "groups" },
    corpus: { type: "string", default: join(ROOT, ".cache/classifier/corpus.jsonl") },
  },
});
const trainer = new Trainer({ ...d, bits: Number(values.bits), epochs: Number(values.epochs), cap: Number(values.cap) });
const perSource = Number(values["per-source"]);

const corpus = loadCorpus(values.corpus);
const evalOnly = new Set(SOURCES.filter((s) => s.role === "eval").map((s) => s.name));
const sources = [...new Set(corpus.map((r) => r.source))];
const trainable = corpus.filter((r) => !evalOnly.has(r.source));

/**
 * The folds: each group mixes kinds and holds at most one or two of the collections of any kind, so
 * every fold still sees every kind in training (from other collections). A source missing here (a
 * new one in classifier-sources.ts) is a fold of its own.
 */
const GROUPS: readonly (readonly string[])[] = [
  ["gsm8k", "humaneval", "act-as", "truthfulqa", "folio", "p3-cnn_dailymail"],
  ["math", "mbpp", "p3-common_gen", "p3-commonsense_qa", "lsat-ar", "p3-duorc"],
  ["handwritten", "lsat-lr", "p3-kilt_tasks_hotpotqa", "p3-quoref"],
  ["p3-adversarial_qa", "p3-amazon_polarity", "p3-ropes"],
  ["p3-dbpedia_14", "p3-cosmos_qa"],
];
const trainSources = sources.filter((s) => !evalOnly.has(s));
const folds0: string[][] =
  values.folds === "sources"
    ? trainSources.map((s) => [s])
    : [...GROUPS.map((g) => g.filter((s) => trainSources.includes(s))).filter((g) => g.length > 0), ...trainSources.filter((s) => !GROUPS.some((g) => g.includes(s))).map((s) => [s])];
const tested = (name: string): CorpusRecord[] => capPerSource(corpus.filter((r) => r.source === name), perSource);

// Constraint sentences of the kind real instructions carry, written for this evaluation.
const CONSTRAINTS = [
  "Your answer must be no longer than 200 words.",
  "Use exactly three bullet points in markdown.",
  "Do not use any commas in your response.",
  "End your response with the exact phrase 'Let me know if you need more.'",
  "Write the whole response in lowercase letters, no capitals at all.",
  "Give your response a title wrapped in double angular brackets, such as <<title>>.",
  "Highlight at least two sections with markdown, i.e. *highlighted section*.",
  "Separate the response into two paragraphs divided by the markdown divider ***.",
  "Do not mention that you are an AI, and keep a friendly but professional tone.",
  "First repeat the request word for word without change, then give your answer.",
];
function withConstraints(r: CorpusRecord): CorpusRecord {
  const h = fnv1a(`c:${r.id}`);
  const picked = [0, 1, 2, 3].map((i) => CONSTRAINTS[(h + i * 3) % CONSTRAINTS.length]);
  const last = r.messages[r.messages.length - 1];
  const text = typeof last?.content === "string" ? last.content : "";
  return { ...r, id: `${r.id}+c`, messages: [{ role: "user", content: `${text}\n\n${picked.join(" ")}` }] };
}

const FOLLOW_UPS = ["Can you explain that part again, more simply?", "Thanks. Now make it shorter.", "Are you sure? Check it once more.", "ok, and what about the second one?"];
const lastText = (r: CorpusRecord): string => {
  const m = r.messages[r.messages.length - 1];
  return typeof m?.content === "string" ? m.content : "";
};
/** Follow-up: the held-out exchange, then a short generic follow-up; the kind stays the source's. */
function followUp(r: CorpusRecord): CorpusRecord | undefined {
  if (!r.answer) return undefined;
  const msgs: ChatMessage[] = [...r.messages, { role: "assistant", content: r.answer }, { role: "user", content: FOLLOW_UPS[fnv1a(r.id) % FOLLOW_UPS.length] ?? "" }];
  return { ...r, id: `${r.id}+f`, messages: msgs };
}
/** Switch: an unrelated finished exchange of another kind, then the held-out prompt. */
function afterOther(r: CorpusRecord, pool: readonly CorpusRecord[]): CorpusRecord | undefined {
  const others = pool.filter((o) => o.kind !== r.kind && o.answer);
  const o = others[fnv1a(`o:${r.id}`) % Math.max(1, others.length)];
  if (!o?.answer) return undefined;
  return { ...r, id: `${r.id}+s`, messages: [{ role: "user", content: lastText(o) }, { role: "assistant", content: o.answer }, ...r.messages] };
}

interface Fold {
  source: string;
  model: LinearModel;
  single: Scored[];
  constrained: Scored[];
  follow: Scored[];
  switched: Scored[];
}

const t0 = performance.now();
const evalSources = sources.filter((s) => evalOnly.has(s));
const folds: Fold[] = [];
const testGroup = (model: LinearModel, group: readonly string[]): void => {
  const pool = trainable.filter((r) => !group.includes(r.source));
  for (const name of group) {
    const test = tested(name);
    const sample = test.filter((r) => fnv1a(`mt:${r.id}`) % 4 === 0);
    folds.push({
      source: name,
      model,
      single: score(model, test),
      constrained: score(model, sample.map(withConstraints)),
      follow: score(model, sample.map(followUp).filter((r): r is CorpusRecord => r !== undefined)),
      switched: score(model, sample.map((r) => afterOther(r, pool)).filter((r): r is CorpusRecord => r !== undefined)),
    });
  }
  process.stderr.write(`  ${group.join(", ")} done (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
};
if (evalSources.length > 0) testGroup(trainer.fit(trainable).model, evalSources);
for (const group of folds0) testGroup(trainer.fit(trainable.filter((r) => !group.includes(r.source))).model, group);
folds.sort((a, b) => sources.indexOf(a.source) - sources.indexOf(b.source));

const topMiss = (s: readonly Scored[]): string => {
  const miss = new Map<TaskKind, number>();
  for (const x of s) if (x.got.kind !== x.record.kind) miss.set(x.got.kind, (miss.get(x.got.kind) ?? 0) + 1);
  const [k, n] = [...miss.entries()].sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
  return n ? `${k} ${n}` : "";
};
const cell = (s: readonly Scored[]): string => (s.length ? `${pct(accuracy(s))} (${s.length})` : "—");
const kindsOf = (s: readonly Scored[]): string => [...new Set(s.map((x) => x.record.kind))].join("/");

console.log(`Leave-one-${values.folds === "sources" ? "source" : "group"}-out accuracy: each row is scored by a model trained without that source${values.folds === "sources" ? "" : ` or the others of its group (${folds0.map((g) => g.join(" + ")).join("; ")})`}.`);
console.log(`(${evalOnly.size ? [...evalOnly].join(", ") + " is never trained on; scored by the model trained on every training source." : ""})\n`);
console.log(
  textTable(
    ["source", "kind", "n", "accuracy", "most common miss", "+4 constraints", "follow-up turn", "after other kind"],
    folds.map((f) => [f.source, kindsOf(f.single), f.single.length, pct(accuracy(f.single)), topMiss(f.single), cell(f.constrained), cell(f.follow), cell(f.switched)]),
  ),
);
const all = folds.flatMap((f) => f.single);
const macro = folds.reduce((a, f) => a + accuracy(f.single), 0) / folds.length;
console.log(`\nmicro accuracy ${pct(accuracy(all))} over ${all.length} prompts; macro over sources ${pct(macro)}`);
const byKind = TASK_KINDS.map((k) => {
  const of = (s: Scored[]): Scored[] => s.filter((x) => x.record.kind === k);
  return [k, cell(of(all)), cell(of(folds.flatMap((f) => f.constrained))), cell(of(folds.flatMap((f) => f.follow))), cell(of(folds.flatMap((f) => f.switched)))];
});
console.log(`\nby kind (held-out sources only)\n`);
console.log(textTable(["kind", "single turn", "+4 constraints", "follow-up turn", "after other kind"], byKind));
console.log(`\nconfusion matrix, single turn, held-out sources\n`);
console.log(confusionTable(confusion(all)));
console.log(`\nconfusion matrix, +4 constraints\n`);
console.log(confusionTable(confusion(folds.flatMap((f) => f.constrained))));
console.log(`\nconfusion matrix, multi-turn (follow-up and after-other together)\n`);
console.log(confusionTable(confusion(folds.flatMap((f) => [...f.follow, ...f.switched]))));

// Complexity against difficulty, on the MATH half not used to tune complexity.ts.
const mathFold = folds.find((f) => f.source === "math");
const gsmFold = folds.find((f) => f.source === "gsm8k");
if (mathFold && gsmFold) {
  const isTuning = (id: string): boolean => fnv1a(`tune:${id}`) % 2 === 0; // as in scripts/eval-complexity.ts
  const mathTest = corpus.filter((r) => r.source === "math" && !isTuning(r.id));
  const gsmTest = capPerSource(corpus.filter((r) => r.source === "gsm8k"), 500);
  const rows: { level: number; c: number; rule: string }[] = [];
  const ruleOf = (model: LinearModel, r: CorpusRecord): { c: number; rule: string } => {
    const got = classifyWith(model, request(r.messages));
    const facts = { kind: got.kind, complexity: got.complexity, promptTokens: got.promptTokens, tools: false, images: false, json: false, model: "auto", metadata: {}, local: { fits: true, tools: true, vision: false, tags: new Set<string>() } };
    return { c: got.complexity, rule: firstMatch(DEFAULT_RULES, facts)?.rule.name ?? "" };
  };
  for (const r of gsmTest) rows.push({ level: 0, ...ruleOf(gsmFold.model, r) });
  for (const r of mathTest) rows.push({ level: r.level ?? 0, ...ruleOf(mathFold.model, r) });
  const rho = spearman(rows.map((r) => r.level), rows.map((r) => r.c));
  const onlyMath = rows.filter((r) => r.level > 0);
  const rhoMath = spearman(onlyMath.map((r) => r.level), onlyMath.map((r) => r.c));
  console.log(`\ncomplexity vs difficulty (GSM8K = level 0, MATH levels 1–5; MATH half not used for tuning; kind model held out from each)\n`);
  console.log(`Spearman ρ, GSM8K + MATH: ${rho.toFixed(3)} (n=${rows.length}); MATH levels 1–5 only: ${rhoMath.toFixed(3)} (n=${onlyMath.length})\n`);
  const levels = [0, 1, 2, 3, 4, 5];
  console.log(
    textTable(
      ["level", "n", "median complexity", "hard-to-cloud fires"],
      levels.map((l) => {
        const at = rows.filter((r) => r.level === l);
        const cs = at.map((r) => r.c).sort((a, b) => a - b);
        return [l === 0 ? "GSM8K" : `MATH ${l}`, at.length, (cs[Math.floor(cs.length / 2)] ?? 0).toFixed(2), pct(at.filter((r) => r.rule === "hard-to-cloud").length / Math.max(1, at.length))];
      }),
    ),
  );
}
console.log(`\n${((performance.now() - t0) / 1000).toFixed(0)} s`);

/**
 * `pnpm tsx scripts/eval-complexity.ts [--half test|tune]`: does the complexity score (complexity.ts)
 * order prompts by difficulty, and where do the routing thresholds cut?
 *
 * On the corpus built by scripts/fetch-classifier-data.ts, split in two by id hash: the weights of
 * complexity.ts were chosen on the `tune` half; report on the `test` half (the default). Prints
 * Spearman's ρ against difficulty (GSM8K = level 0, MATH levels 1–5; and MATH levels alone), and per
 * source (MATH per level): the median score, the share ≥ 0.35 (home's larger model, routing/local.ts
 * DEFAULT_HARD_AT) and ≥ 0.5, and how often the default rule `hard-to-cloud` is the one that fires.
 *
 * Kind probabilities come from the committed weights, which were trained on these sources (the kind
 * model is in-sample here; scripts/eval-classifier.ts repeats the MATH/GSM8K figures with a kind model
 * that never saw them). Takes a few seconds.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { classify } from "../shared/src/classify/index.js";
import { fnv1a } from "../shared/src/classify/hash.js";
import { DEFAULT_HARD_AT } from "../shared/src/routing/local.js";
import { DEFAULT_RULES, firstMatch } from "../shared/src/routing/rules.js";
import { capPerSource, loadCorpus, pct, request, textTable } from "./lib/classifier-train.js";
import { spearman } from "./lib/rank.js";

const ROOT = join(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    half: { type: "string", default: "test" },
    "per-source": { type: "string", default: "1000" },
    corpus: { type: "string", default: join(ROOT, ".cache/classifier/corpus.jsonl") },
  },
});
if (values.half !== "test" && values.half !== "tune") throw new Error("--half must be test or tune");

/** The half complexity.ts was tuned on; scripts/eval-classifier.ts uses the same split. */
const isTuning = (id: string): boolean => fnv1a(`tune:${id}`) % 2 === 0;

const corpus = loadCorpus(values.corpus).filter((r) => isTuning(r.id) === (values.half === "tune"));
const sample = capPerSource(corpus, Number(values["per-source"]));

interface Row {
  group: string;
  level: number;
  c: number;
  rule: string;
}
const rows: Row[] = sample.map((r) => {
  const got = classify(request(r.messages));
  const facts = { kind: got.kind, complexity: got.complexity, promptTokens: got.promptTokens, tools: false, images: false, json: false, model: "auto", metadata: {}, local: { fits: true, tools: true, vision: false, tags: new Set<string>() } };
  const level = r.source === "gsm8k" ? 0 : (r.level ?? 0);
  const group = r.source === "math" ? `math L${level}` : r.source === "handwritten" ? `handwritten ${r.kind}` : r.source;
  return { group, level, c: got.complexity, rule: firstMatch(DEFAULT_RULES, facts)?.rule.name ?? "" };
});

const graded = rows.filter((r) => r.group === "gsm8k" || r.group.startsWith("math "));
const math = graded.filter((r) => r.group.startsWith("math "));
console.log(`complexity on the ${values.half} half (${rows.length} prompts, at most ${values["per-source"]} per source)\n`);
console.log(`Spearman ρ vs difficulty: GSM8K (0) + MATH levels 1–5 ${spearman(graded.map((r) => r.level), graded.map((r) => r.c)).toFixed(3)} (n=${graded.length}); MATH levels only ${spearman(math.map((r) => r.level), math.map((r) => r.c)).toFixed(3)} (n=${math.length})\n`);

const groups = [...new Set(rows.map((r) => r.group))].sort();
const share = (xs: Row[], f: (r: Row) => boolean): string => pct(xs.filter(f).length / Math.max(1, xs.length));
console.log(
  textTable(
    ["source", "n", "median", "p10", "p90", `≥ ${DEFAULT_HARD_AT} (larger home model)`, "≥ 0.5", "hard-to-cloud fires"],
    groups.map((g) => {
      const at = rows.filter((r) => r.group === g);
      const cs = at.map((r) => r.c).sort((a, b) => a - b);
      const q = (p: number): string => (cs[Math.min(cs.length - 1, Math.floor(p * cs.length))] ?? 0).toFixed(2);
      return [g, at.length, q(0.5), q(0.1), q(0.9), share(at, (r) => r.c >= DEFAULT_HARD_AT), share(at, (r) => r.c >= 0.5), share(at, (r) => r.rule === "hard-to-cloud")];
    }),
  ),
);

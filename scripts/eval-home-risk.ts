/**
 * `pnpm tsx scripts/eval-home-risk.ts [--outcomes FILE] [--ceiling-bits B] [--folds K]`: an
 * evaluation of the home-risk estimate that cannot flatter itself. For each source of
 * scripts/lib/home-risk-sources.ts in turn, the model is trained on the OTHER sources only and
 * scored on this one. Reported per held-out source, as APGR (scripts/lib/apgr.ts; random = 0.50):
 *
 * - `home risk`: the shipped model (the classifier's features → logistic regression);
 * - `length`, `complexity`: today's signals (promptTokens, features.complexity);
 * - `+n-grams`: a larger model run offline on the same split (the classifier's hashed n-grams added,
 *   2^B buckets, B = --ceiling-bits, default 14): what this kind of signal reaches across sources;
 * - `in-source`: the same larger model trained on the other folds of the SAME source (K-fold,
 *   default 5): what outcomes from the traffic itself would reach — the gap per-user learning closes;
 * - `oracle`: the order by the true gain;
 * and the cloud share the shipped model needs to recover 50% and 80% of the gap. Takes ~1 minute.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fnv1a } from "../shared/src/classify/hash.js";
import { apgrCurve, type Curve } from "./lib/apgr.js";
import { textTable } from "./lib/classifier-train.js";
import { DEFAULT_FIT, fitRisk, loadOutcomes, logit, ngramVector, pct, toExample, type Example } from "./lib/home-risk-train.js";

const ROOT = join(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    outcomes: { type: "string", default: join(ROOT, ".cache/home-risk/outcomes.jsonl") },
    "ceiling-bits": { type: "string", default: "14" },
    folds: { type: "string", default: "5" },
  },
});
const bits = Number(values["ceiling-bits"]);
const K = Number(values.folds);

const records = loadOutcomes(values.outcomes);
const examples: Example[] = [];
for (const r of records) {
  const ex = toExample(r);
  if (!ex) continue;
  ex.ngrams = ngramVector(r, bits);
  examples.push(ex);
}
const sources = [...new Set(examples.map((e) => e.source))];
const big = { ...DEFAULT_FIT, ngramBits: bits, epochs: 300 };

const curve = (xs: readonly Example[], score: (e: Example) => number): Curve => apgrCurve(xs.map(score), xs.map((e) => e.gain));
const f2 = (x: number): string => x.toFixed(2);

const rows: (string | number)[][] = [];
const pooledScores: { ex: Example; s: number }[] = [];
for (const held of sources) {
  const test = examples.filter((e) => e.source === held);
  const train = examples.filter((e) => e.source !== held);
  const dense = fitRisk(train, DEFAULT_FIT);
  const wide = fitRisk(train, big);
  // In-source K-fold: every prompt scored by a model that saw the rest of its own source (and the others).
  const inSource = new Map<string, number>();
  for (let k = 0; k < K; k++) {
    const fold = (e: Example): boolean => fnv1a(`fold:${e.id}`) % K === k;
    const fit = fitRisk([...train, ...test.filter((e) => !fold(e))], big);
    for (const e of test.filter(fold)) inSource.set(e.id, logit(fit, e));
  }
  const mine = curve(test, (e) => logit(dense, e));
  for (const e of test) pooledScores.push({ ex: e, s: logit(dense, e) });
  const base = test.reduce((a, e) => a + e.y, 0) / test.length;
  rows.push([
    held,
    test.length,
    pct(base),
    "0.50",
    f2(curve(test, (e) => e.analysis.classification.promptTokens).apgr),
    f2(curve(test, (e) => e.analysis.classification.complexity).apgr),
    f2(mine.apgr),
    f2(curve(test, (e) => logit(wide, e)).apgr),
    f2(curve(test, (e) => inSource.get(e.id) ?? 0).apgr),
    f2(curve(test, (e) => e.gain).apgr),
    pct(mine.share50),
    pct(mine.share80),
  ]);
}

console.log(`home-risk APGR, each source held out (trained on the others only); ${examples.length} prompts\n`);
console.log(
  textTable(
    ["held-out source", "n", "cloud better", "random", "length", "complexity", "home risk", `+n-grams 2^${bits}`, `in-source ${K}-fold`, "oracle", "share→50%", "share→80%"],
    rows,
  ),
);
console.log(`\n"cloud better": share of prompts where the cloud model beat the home-class model(s).`);
console.log(`"share→50%/80%": cloud share the home-risk order needs to recover half / 80% of the quality gap (random: 50% / 80%).`);

/**
 * `pnpm tsx scripts/fetch-classifier-data.ts [--mirror DIR] [--from DIR] [--download] [--out FILE]`:
 * builds the classifier's training corpus from the public collections in scripts/lib/classifier-sources.ts
 * plus the hand-written test/data/prompts.jsonl, and writes one normalised JSONL line per prompt:
 *   {"id","source","license","kind","messages":[{"role":"user","content":…}],"answer"?,"level"?,"label"?}
 * to .cache/classifier/corpus.jsonl (git-ignored: the corpora are not committed).
 *
 * Each file is looked for, in order:
 * 1. --mirror DIR (default /work/.mirror): bare git snapshots laid out as DIR/<owner>+<name>/repo,
 *    read at the source's pinned commit with `git show`;
 * 2. --from DIR: plain files laid out as DIR/<owner>/<name>/<path>;
 * 3. with --download: https://raw.githubusercontent.com/<owner>/<name>/<commit>/<path>.
 * A source with a missing file is reported and skipped, never half-read.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { parsePrompts } from "../shared/src/classify/dataset.js";
import { SOURCES } from "./lib/classifier-sources.js";
import { readPinnedText } from "./lib/snapshot.js";

const ROOT = join(import.meta.dirname, "..");
export const CORPUS = join(ROOT, ".cache/classifier/corpus.jsonl");

const { values } = parseArgs({
  options: {
    mirror: { type: "string", default: "/work/.mirror" },
    from: { type: "string" },
    download: { type: "boolean", default: false },
    out: { type: "string", default: CORPUS },
  },
});

const lines: string[] = [];
const counts: string[] = [];

const hand = parsePrompts(readFileSync(join(ROOT, "test/data/prompts.jsonl"), "utf8"));
for (const p of hand) lines.push(JSON.stringify({ id: `handwritten:${p.id}`, source: "handwritten", license: "this repository's", kind: p.kind, messages: p.messages }));
counts.push(`handwritten: ${hand.length}`);

for (const src of SOURCES) {
  const before = lines.length;
  let missing = "";
  const items: string[] = [];
  for (const path of src.paths) {
    const text = await readPinnedText(src, path, { mirror: values.mirror, download: values.download, ...(values.from ? { from: values.from } : {}) });
    if (text === undefined) {
      missing = path;
      break;
    }
    src.parse(path, text).forEach((item, i) => {
      if (!item.text.trim()) return;
      const { text: content, ...rest } = item;
      const id = `${src.name}:${path.split("/").pop()}:${i}`;
      items.push(JSON.stringify({ id, source: src.name, license: src.license, ...rest, messages: [{ role: "user", content }] }));
    });
  }
  if (missing) {
    counts.push(`${src.name}: SKIPPED (${src.repo}@${src.ref.slice(0, 8)}:${missing} not found)`);
    continue;
  }
  lines.push(...items);
  counts.push(`${src.name}: ${lines.length - before}`);
}

mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, `${lines.join("\n")}\n`);
console.log(counts.join("\n"));
console.log(`wrote ${lines.length} prompts to ${values.out}`);

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
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { parsePrompts } from "../shared/src/classify/dataset.js";
import { SOURCES, type Source } from "./lib/classifier-sources.js";

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

async function readSourceFile(src: Source, path: string): Promise<Buffer | undefined> {
  const gitDir = join(values.mirror, src.repo.replace("/", "+"), "repo");
  if (existsSync(gitDir)) {
    try {
      return execFileSync("git", ["--git-dir", gitDir, "show", `${src.ref}:${path}`], { maxBuffer: 256 << 20, stdio: ["ignore", "pipe", "ignore"] });
    } catch {
      // not at that commit in this snapshot: try the next place
    }
  }
  if (values.from) {
    const file = join(values.from, src.repo, path);
    if (existsSync(file)) return readFileSync(file);
  }
  if (values.download) {
    const res = await fetch(`https://raw.githubusercontent.com/${src.repo}/${src.ref}/${path}`);
    if (res.ok) return Buffer.from(await res.arrayBuffer());
  }
  return undefined;
}

// A Git LFS pointer is what a snapshot holds for a large file it does not carry.
const isLfsPointer = (b: Buffer): boolean => b.length < 300 && b.toString("utf8").startsWith("version https://git-lfs");

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
    const raw = await readSourceFile(src, path);
    if (!raw || isLfsPointer(raw)) {
      missing = path;
      break;
    }
    const text = (path.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
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

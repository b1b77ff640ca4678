/**
 * `pnpm tsx scripts/fetch-home-risk-data.ts [--mirror DIR] [--from DIR] [--download] [--out FILE]`:
 * builds the home-risk estimate's outcome set from the public sources in
 * scripts/lib/home-risk-sources.ts, one JSONL line per prompt:
 *   {"id","source","license","scale","messages":[…],"outcomes":{"<model>": quality, …}}
 * to .cache/home-risk/outcomes.jsonl (git-ignored: the data is not committed, only the weights
 * trained on it). Files are read as scripts/lib/snapshot.ts says; a source with a missing file is
 * reported and skipped, never half-read.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { OUTCOME_SOURCES } from "./lib/home-risk-sources.js";
import { readPinnedText } from "./lib/snapshot.js";

const ROOT = join(import.meta.dirname, "..");
export const OUTCOMES = join(ROOT, ".cache/home-risk/outcomes.jsonl");

const { values } = parseArgs({
  options: {
    mirror: { type: "string", default: "/work/.mirror" },
    from: { type: "string" },
    download: { type: "boolean", default: false },
    out: { type: "string", default: OUTCOMES },
  },
});
const opts = { mirror: values.mirror, from: values.from, download: values.download };

const lines: string[] = [];
for (const src of OUTCOME_SOURCES) {
  const files = new Map<string, string>();
  let missing = "";
  for (const path of src.paths) {
    const text = await readPinnedText(src, path, opts);
    if (text === undefined) {
      missing = path;
      break;
    }
    files.set(path, text);
  }
  if (missing) {
    console.log(`${src.name}: SKIPPED (${src.repo}@${src.ref.slice(0, 8)}:${missing} not found)`);
    continue;
  }
  const rows = src.read(files);
  for (const r of rows) lines.push(JSON.stringify({ id: r.id, source: src.name, license: src.license, scale: src.scale, messages: r.messages, outcomes: r.outcomes }));
  console.log(`${src.name}: ${rows.length}`);
}
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, `${lines.join("\n")}\n`);
console.log(`wrote ${lines.length} prompts to ${values.out}`);

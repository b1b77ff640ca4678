/**
 * Reading one file of a public repository at a pinned commit, for the data scripts
 * (fetch-classifier-data.ts, fetch-home-risk-data.ts). Looked for, in order:
 * 1. `mirror` (default /work/.mirror): bare git snapshots laid out as DIR/<owner>+<name>/repo, read
 *    with `git show <commit>:<path>` (a snapshot holds the repository's history, so an older pinned
 *    commit is found there too);
 * 2. `from`: plain files laid out as DIR/<owner>/<name>/<path>;
 * 3. with `download`: raw.githubusercontent.com at the pinned commit.
 * A Git LFS pointer counts as missing: it is what a snapshot holds for a large file it lacks.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

export interface SnapshotOptions {
  mirror: string;
  from?: string;
  download: boolean;
}

export interface Pinned {
  /** owner/name on GitHub. */
  repo: string;
  /** The commit the data was taken from. */
  ref: string;
}

const isLfsPointer = (b: Buffer): boolean => b.length < 300 && b.toString("utf8").startsWith("version https://git-lfs");

async function readRaw(src: Pinned, path: string, o: SnapshotOptions): Promise<Buffer | undefined> {
  const gitDir = join(o.mirror, src.repo.replace("/", "+"), "repo");
  if (existsSync(gitDir)) {
    try {
      return execFileSync("git", ["--git-dir", gitDir, "show", `${src.ref}:${path}`], { maxBuffer: 256 << 20, stdio: ["ignore", "pipe", "ignore"] });
    } catch {
      // not at that commit in this snapshot (or absent from it): try the next place
    }
  }
  if (o.from) {
    const file = join(o.from, src.repo, path);
    if (existsSync(file)) return readFileSync(file);
  }
  if (o.download) {
    const res = await fetch(`https://raw.githubusercontent.com/${src.repo}/${src.ref}/${path}`);
    if (res.ok) return Buffer.from(await res.arrayBuffer());
  }
  return undefined;
}

/** The file as text (gunzipped when it ends in .gz), or undefined when no place has it. */
export async function readPinnedText(src: Pinned, path: string, o: SnapshotOptions): Promise<string | undefined> {
  const raw = await readRaw(src, path, o);
  if (!raw || isLfsPointer(raw)) return undefined;
  return (path.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
}

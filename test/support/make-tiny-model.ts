/**
 * `pnpm tsx test/support/make-tiny-model.ts [path]`: writes the tiny test GGUF and prints its path.
 * Without a path it goes to `<repo>/.hearth/models/hearth-tiny.gguf` (kept if already there).
 */
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ensureTinyModel, writeTinyGguf } from "../../scripts/lib/tiny-gguf.js";

const target = process.argv[2];
let path: string;
if (target === undefined) {
  path = await ensureTinyModel();
} else {
  path = resolve(target);
  await mkdir(dirname(path), { recursive: true });
  await writeTinyGguf(path);
}
process.stdout.write(`${path}\n`);

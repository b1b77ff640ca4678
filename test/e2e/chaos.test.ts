/**
 * The chaos suite's short version, for CI: every fault kind (test/chaos/kinds/) against the whole
 * stack — `wrangler dev`, the real sidecar, the paced fake Ollama and both cloud fakes — with 10
 * requests per kind in mixed client modes (raw fetch and the official `openai` SDK, streaming and
 * not), homes 4× faster than a real CPU home and shorter answers. No request may be lost: each one
 * ends complete (the served target's whole answer) or in a typed error.
 *
 * The full run is `pnpm chaos` (50 per kind, real times). CHAOS_SEED=<n> replays another draw.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { KINDS } from "../chaos/kinds/index.js";
import { lostDetails, table, type KindSummary } from "../chaos/report.js";
import { runSuite } from "../chaos/suite.js";

const PER_KIND = 10;
const SEED = Number(process.env.CHAOS_SEED ?? 1);

let summaries: KindSummary[] = [];

beforeAll(async () => {
  summaries = await runSuite({ perKind: PER_KIND, seed: SEED, scale: 0.25, answerTokens: [40, 120] });
  const details = lostDetails(summaries);
  process.stdout.write(`\nchaos (seed ${SEED}, ${PER_KIND} per kind, scale 0.25):\n${table(summaries)}\n${details ? `${details}\n` : ""}`);
}, 15 * 60_000);

describe("chaos, short version: no request is lost", () => {
  it.each(KINDS.map((k) => k.name))("%s", (name) => {
    const s = summaries.find((x) => x.kind === name);
    expect(s?.failed).toBeUndefined();
    expect(s?.n ?? 0).toBeGreaterThanOrEqual(PER_KIND);
    // The symptoms are in the comparison, so a failure says what the lost requests looked like.
    expect({ lost: s?.counts.lost, symptoms: Object.fromEntries(s?.lostBy ?? []) }).toEqual({ lost: 0, symptoms: {} });
  });
});

import { describe, expect, it } from "vitest";
import { END_LOOP, LoopDetector, STREAM_LOOP, loopAtEnd, loopInCutAnswer } from "./repetition.js";

/** Feeds `text` in pieces of `size` and returns how many characters had been fed when a loop was flagged. */
function flaggedAt(text: string, size = 5): number | undefined {
  const d = new LoopDetector();
  for (let i = 0; i < text.length; i += size) if (d.push(text.slice(i, i + size))) return Math.min(i + size, text.length);
  return undefined;
}

const prose =
  "Kettles boil faster at sea level than on a mountain, because the air pressure is higher there and water needs more energy to turn into steam. ";

// Legit text that repeats: what a loop detector must not end.
const table = ["| # | name | price |", "|---|------|-------|", ...Array.from({ length: 80 }, (_, i) => `| ${i} | item ${i} | ${(i * 1.25).toFixed(2)} |`)].join("\n");
const list = Array.from({ length: 120 }, (_, i) => `- [ ] Step ${i + 1}: check the kettle`).join("\n");
const zeros = `const weights = [${Array.from({ length: 700 }, () => "0").join(", ")}];`;
const code = Array.from({ length: 60 }, (_, i) => `  if (x === ${i}) {\n    return handle(${i});\n  }\n`).join("");
const rule = `${"=".repeat(80)}\n`;
const emptyRows = `| a | b |\n|---|---|\n${"|   |   |\n".repeat(40)}`;
const legit = { table, list, zeros, code, rule, emptyRows, prose: prose.repeat(1) + "The end." };

describe("loop detection on legit repetitive text", () => {
  it.each(Object.entries(legit))("%s: never flagged mid-stream", (_, text) => {
    expect(flaggedAt(text)).toBeUndefined();
    expect(flaggedAt(text, 1)).toBeUndefined();
  });

  it.each(Object.entries({ table, list, code, prose }))("%s: not a loop even when cut by the length limit", (_, text) => {
    expect(loopInCutAnswer(text)).toBeUndefined();
    expect(loopInCutAnswer(text.slice(0, Math.floor(text.length * 0.7)))).toBeUndefined();
  });
});

describe("loop detection on loops", () => {
  it("flags a sentence repeated mid-stream once it covers 1,024 characters, wherever chunks split it", () => {
    const text = `Here is my answer. ${"I will now check the kettle again. ".repeat(60)}`;
    const at = flaggedAt(text, 7);
    expect(at).toBeGreaterThanOrEqual(1024);
    expect(at).toBeLessThan(19 + 1024 + 35 + 256 + 7);
    const d = new LoopDetector();
    d.push(text);
    expect(d.push("more")).toMatchObject({ period: 35 });
  });

  it("flags a word loop and a whitespace loop mid-stream, but not a punctuation run", () => {
    expect(flaggedAt(`Answer: ${"the ".repeat(400)}`)).toBeDefined();
    expect(flaggedAt(`Answer:${"\n".repeat(1500)}`)).toBeDefined();
    expect(flaggedAt(`Answer: ${"!".repeat(1500)}`)).toBeUndefined();
  });

  it("at a length cut, finds a shorter loop of any unit, with its period", () => {
    const loop = loopInCutAnswer(`${prose}${"lorem ipsum ".repeat(15)}lor`);
    expect(loop).toMatchObject({ period: 12 });
    expect(loop?.chars).toBeGreaterThanOrEqual(183);
    expect(loopInCutAnswer(`${prose}${"0, ".repeat(60)}`)).toMatchObject({ period: 3 });
    expect(loopInCutAnswer(`${prose}${"lorem ipsum ".repeat(2)}`)).toBeUndefined();
  });

  it("finds a long paragraph looping to the cut (period in the hundreds)", () => {
    expect(loopInCutAnswer(`Intro. ${prose.repeat(4)}`)).toMatchObject({ period: prose.length });
  });

  it("asks for enough copies: two long copies are not a loop", () => {
    expect(loopAtEnd(prose.repeat(2), END_LOOP)).toBeUndefined();
    expect(loopAtEnd("ab".repeat(600), STREAM_LOOP)).toMatchObject({ period: 2 });
  });
});

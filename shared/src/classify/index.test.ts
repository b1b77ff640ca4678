import { describe, expect, it } from "vitest";
import prompts from "../../../test/data/prompts.jsonl?raw";
import type { ChatRequest } from "../openai/request.js";
import { parsePrompts } from "./dataset.js";
import { TASK_KINDS, classify, type TaskKind } from "./index.js";

const ask = (content: string, over: Partial<ChatRequest> = {}): ChatRequest => ({ model: "m", messages: [{ role: "user", content }], ...over });

describe("classify: cases", () => {
  it("code in prose is code", () => {
    const c = classify(ask("why does my python loop print None? ```for i in range(3): print(print(i))```"));
    expect(c.kind).toBe("code");
    expect(c.evidence).toContain("code fence");
  });
  it("code without a fence is code", () => {
    expect(classify(ask("can you help me fix this: for i in range(10) print(i)")).kind).toBe("code");
  });
  it("a poem about Python is creative", () => {
    expect(classify(ask("write a poem about Python")).kind).toBe("creative");
    expect(classify(ask("Write a haiku about a database migration")).kind).toBe("creative");
  });
  it("summarise this: <text> is extraction", () => {
    const text = "The committee met on Monday and agreed to extend the deadline for grant applications by two weeks. Applicants who already submitted can revise their proposals. The budget is unchanged.";
    expect(classify(ask(`summarise this: ${text}`)).kind).toBe("extraction");
  });
  it("a greeting is chat, and easy", () => {
    const c = classify(ask("hi!"));
    expect(c.kind).toBe("chat");
    expect(c.complexity).toBeLessThan(0.15);
    expect(c.promptTokens).toBeLessThan(15);
  });
  it("a proof request is math, and hard", () => {
    const c = classify(ask("Prove that for every integer n ≥ 1, 3 divides 4^n − 1."));
    expect(c.kind).toBe("math");
    expect(c.complexity).toBeGreaterThan(0.5);
    expect(c.evidence).toContain("cue: prove");
  });
  it("orders by difficulty: greeting < summary < word problem < competition problem < proof", () => {
    const scores = [
      "Hi! What's a good name for a cat?",
      "Summarise this: The committee met on Monday and agreed to extend the deadline by two weeks.",
      "Sam has 3 boxes with 12 apples each. He gives away 10 apples. How many apples does he have left?",
      "Let $f(x) = x^3 - 3x + 1$. Find the number of real $x$ with $f(f(x)) = 0$, and compute $\\sum_{r} r^2$ over the roots $r$ of $f$.",
      "Prove step by step that the square root of 2 is irrational. Be rigorous and justify every step.",
    ].map((t) => classify(ask(t)).complexity);
    expect([...scores].sort((a, b) => a - b)).toEqual(scores);
    // The word problem stays at home (below hard-to-cloud's 0.5); the formal problem does not.
    expect(scores[2]).toBeLessThan(0.5);
    expect(scores[3]).toBeGreaterThanOrEqual(0.5);
  });
  it("chat about maths is chat", () => {
    expect(classify(ask("Who was Pythagoras?")).kind).toBe("chat");
  });
  it("a follow-up takes its kind from the earlier turns", () => {
    const c = classify({
      model: "m",
      messages: [
        { role: "user", content: "write a function to check if a number is prime in python" },
        { role: "assistant", content: "```python\ndef is_prime(n):\n    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))\n```" },
        { role: "user", content: "now make it faster" },
      ],
    });
    expect(c.kind).toBe("code");
    expect(c.evidence).toContain("2 turns");
  });
  it("reports the request's asks in the evidence and the complexity", () => {
    const tools = [{ type: "function" as const, function: { name: "search" } }];
    const plain = classify(ask("What is the weather in Oslo?"));
    const c = classify(ask("What is the weather in Oslo?", { tools, tool_choice: "required", response_format: { type: "json_object" } }));
    expect(c).toMatchObject({ hasTools: true, toolChoiceForced: true, wantsJson: true, hasImages: false });
    expect(c.evidence).toEqual(expect.arrayContaining(["1 tool", "tool choice forced", "JSON output"]));
    expect(c.complexity).toBeGreaterThan(plain.complexity);
  });
  it("says when a long message was read in part", () => {
    const c = classify(ask(`Summarise the following report.\n${"Revenue grew in every region this quarter. ".repeat(3000)}`));
    expect(c.evidence.some((e) => e.startsWith("read 3072 of"))).toBe(true);
    expect(c.promptTokens).toBeGreaterThan(20000);
  });
});

describe("classify: shape", () => {
  const samples = ["hi", "Solve 2x + 3 = 7", "Write a story about a fox", "", "```\n```"];
  it("is deterministic", () => {
    for (const s of samples) expect(classify(ask(s))).toEqual(classify(ask(s)));
  });
  it("returns a distribution over every kind and a complexity in [0, 1]", () => {
    for (const s of samples) {
      const c = classify(ask(s));
      expect(Object.keys(c.kindScores)).toEqual([...TASK_KINDS]);
      expect(Object.values(c.kindScores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      expect(c.kindScores[c.kind]).toBe(Math.max(...Object.values(c.kindScores)));
      expect(c.complexity).toBeGreaterThanOrEqual(0);
      expect(c.complexity).toBeLessThanOrEqual(1);
      expect(c.evidence[0]).toMatch(/^n-gram model: \w+ \d\.\d\d$/);
    }
  });
});

describe("classify: the shapes that used to go wrong", () => {
  // Written for this test (not taken from any benchmark): long instructions with constraints used to
  // read as extraction, knowledge questions with technical terms as code.
  it.each([
    ["creative", "Write a persuasive blog post for a local bakery announcing its new sourdough class. Keep it under 300 words, use a warm tone, include two customer quotes, and end with a call to action that mentions the sign-up page."],
    ["chat", "What is the difference between TCP and UDP, and why does video streaming often use UDP?"],
    ["chat", "Explain how the Treaty of Westphalia changed the idea of sovereignty in Europe."],
    ["extraction", "Pull every date and amount out of this invoice text and list them as a table: Invoice 2231 issued 3 March 2024, due 2 April 2024. Amount due: $1,250.00. Late fee after 2 April: $50."],
  ] as [TaskKind, string][])("%s: %s", (kind, text) => {
    expect(classify(ask(text)).kind).toBe(kind);
  });
});

describe("classify: known misses", () => {
  // Short logic puzzles and "pretend you are…" openers without "act as": the public training sources
  // have long LSAT/FOLIO passages and "I want you to act as…" prompts, not these shapes. These
  // expect the wrong answer so that a model that fixes them shows up here (move them up then).
  it.fails.each([
    ["creative", "Pretend you are a grumpy lighthouse keeper in 1890 and answer my questions in character. First question: what do you do all night?"],
    ["reasoning", "Alice, Bob and Carol each own one pet: a cat, a dog or a fish. Alice does not own the dog. Carol owns the fish. Who owns the cat?"],
  ] as [TaskKind, string][])("%s: %s", (kind, text) => {
    expect(classify(ask(text)).kind).toBe(kind);
  });
});

describe("classify: the hand-written prompts", () => {
  // test/data/prompts.jsonl is one training source among many (see SOURCES.md), so this is a
  // check that training and serving agree, not a measure of accuracy: scripts/eval-classifier.ts
  // scores every source with a model that never saw it (the hand-written prompts: see its table).
  const all = parsePrompts(prompts);
  it("are nearly all classified as labelled", () => {
    const right = all.filter((p) => classify({ model: "m", messages: p.messages }).kind === p.kind).length;
    expect(right / all.length).toBeGreaterThanOrEqual(0.9);
  });
});

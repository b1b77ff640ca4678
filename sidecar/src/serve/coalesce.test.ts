import { describe, expect, it } from "vitest";
import { Coalescer, DEFAULT_COALESCE } from "./coalesce.js";

describe("Coalescer", () => {
  it("sends the first piece at once and gathers the rest", async () => {
    const sent: string[] = [];
    const c = new Coalescer((t) => sent.push(t));
    c.push("Hel");
    expect(sent).toEqual(["Hel"]);
    c.push("lo");
    c.push(" you");
    expect(sent).toEqual(["Hel"]);
    await new Promise((r) => setTimeout(r, DEFAULT_COALESCE.minDelayMs + 20));
    expect(sent).toEqual(["Hel", "lo you"]);
  });

  it("waits longer as the answer grows, from the minimum to the maximum", () => {
    let now = 0;
    const c = new Coalescer(() => undefined, DEFAULT_COALESCE, () => now);
    c.push("first");
    expect(c.delay()).toBe(15);
    now = 400;
    expect(c.delay()).toBe(50);
    now = 60_000;
    expect(c.delay()).toBe(100);
    c.dispose();
  });

  it("sends at once when enough characters wait", () => {
    const sent: string[] = [];
    const c = new Coalescer((t) => sent.push(t), { ...DEFAULT_COALESCE, maxChars: 4 });
    c.push("a");
    c.push("bcdef");
    expect(sent).toEqual(["a", "bcdef"]);
    c.dispose();
  });
});

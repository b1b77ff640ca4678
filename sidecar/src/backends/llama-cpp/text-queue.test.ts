import { describe, expect, it } from "vitest";
import { TextQueue } from "./text-queue.js";

describe("TextQueue", () => {
  it("joins text that arrived between reads into one read", async () => {
    const q = new TextQueue();
    q.push("a");
    q.push("b");
    expect(await q.next()).toBe("ab");
    q.push("c");
    q.close();
    expect(await q.next()).toBe("c");
    expect(await q.next()).toBeNull();
  });

  it("reads progress without text as an empty string, and text wins over it", async () => {
    const q = new TextQueue();
    const read = q.next();
    q.tick();
    expect(await read).toBe("");
    q.tick();
    q.push("t");
    expect(await q.next()).toBe("t");
    q.close();
    expect(await q.next()).toBeNull();
  });

  it("wakes a waiting reader", async () => {
    const q = new TextQueue();
    const read = q.next();
    q.push("x");
    expect(await read).toBe("x");
  });

  it("drains buffered text before throwing the producer's error", async () => {
    const q = new TextQueue();
    q.push("last");
    q.fail(new Error("boom"));
    expect(await q.next()).toBe("last");
    await expect(q.next()).rejects.toThrow("boom");
  });

  it("ignores empty text and text after close", async () => {
    const q = new TextQueue();
    q.push("");
    q.close();
    q.push("late");
    expect(await q.next()).toBeNull();
  });
});

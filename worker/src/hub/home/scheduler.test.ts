import { pickLocal, type SidecarView } from "@hearth/shared";
import { describe, expect, it } from "vitest";
import { Scheduler } from "./scheduler.js";

const model = { id: "m", backend: "ollama" as const, contextLength: 4096, tools: true, loaded: true, tokensPerSecond: 0 };
/** One sidecar with one slot, `free` of it free, and no queue: a full one is waited for. */
const view = (free: number): SidecarView => ({
  sidecarId: "s1",
  state: { models: [model], slots: { total: 1, free }, queue: { depth: 0, max: 0 }, loading: [], freeMemoryBytes: 0, draining: false },
  inflight: 1 - free,
  breakerAllows: true,
});

const pick = (views: SidecarView[]) => pickLocal({ promptTokens: 10, reserveTokens: 10, needsTools: false, model: "m", wait: true }, views);

describe("Scheduler.place", () => {
  it("places at once when a slot is free", async () => {
    const s = new Scheduler({ views: () => [view(1)] });
    await expect(s.place(pick, Date.now() + 1_000)).resolves.toMatchObject({ ok: true, sidecarId: "s1" });
  });

  it("waits while full and places after a change frees a slot", async () => {
    let free = 0;
    const s = new Scheduler({ views: () => [view(free)] });
    const placed = s.place(pick, Date.now() + 5_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.waiting).toBe(1);
    free = 1;
    s.changed();
    await expect(placed).resolves.toMatchObject({ ok: true, sidecarId: "s1" });
    expect(s.waiting).toBe(0);
  });

  it("gives up as overloaded when no change comes before the deadline", async () => {
    const s = new Scheduler({ views: () => [view(0)] });
    const t0 = Date.now();
    await expect(s.place(pick, t0 + 50)).resolves.toEqual({ ok: false, reason: "overloaded" });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(s.waiting).toBe(0);
  });

  it("returns a refusal as it is, without waiting", async () => {
    const s = new Scheduler({ views: () => [] });
    await expect(s.place(pick, Date.now() + 5_000)).resolves.toEqual({ ok: false, reason: "offline" });
  });

  it("a change that frees nothing sends the request back to waiting, within the same deadline", async () => {
    const s = new Scheduler({ views: () => [view(0)] });
    const t0 = Date.now();
    const placed = s.place(pick, t0 + 100);
    setTimeout(() => s.changed(), 20);
    await expect(placed).resolves.toEqual({ ok: false, reason: "overloaded" });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
  });
});

/**
 * The Responses API's store inside workerd, on a real Durable Object's SQLite storage: a conversation
 * rebuilt from its links, item references, deletion, the caps (least recently used first, a chain
 * continued together trimmed from its newest end), the retention period and its alarm, and a response
 * larger than one SQLite row.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { StoredResponse } from "../src/hub-client/types.js";
import { ResponseStore } from "../src/hub/responses/store.js";

const DAY = 86_400_000;
const limits = { retentionMs: 30 * DAY, maxResponses: 4, maxChars: 4_000_000 };

function turn(id: string, previous: string | null, said: string, answer: string): string {
  const record: StoredResponse = {
    response: { id, object: "response", previous_response_id: previous, output: [{ id: `msg_${id}`, type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: answer }] }] },
    input: [{ type: "message", role: "user", content: said }],
  };
  return JSON.stringify(record);
}

const texts = (items: Record<string, unknown>[]) => items.map((i) => (typeof i.content === "string" ? i.content : ((i.content as { text: string }[])[0]?.text ?? "")));

function inObject(name: string, fn: (store: ResponseStore, storage: DurableObjectStorage) => Promise<void>): Promise<void> {
  const stub = env.SIDECAR_HUB.get(env.SIDECAR_HUB.idFromName(name));
  return runInDurableObject(stub, async (_obj, state) => fn(new ResponseStore(state.storage, limits), state.storage));
}

describe("ResponseStore", () => {
  it("rebuilds a conversation from its links, oldest first; resolves item references; refreshes what it used", async () => {
    await inObject("responses-chain", async (store, storage) => {
      await store.put(turn("r1", null, "one", "uno"), 1_000);
      await store.put(turn("r2", "r1", "two", "dos"), 2_000);
      const ctx = store.context("r2", ["msg_r1"], 3_000);
      if (!ctx.ok) throw new Error("missing");
      expect(texts(ctx.history)).toEqual(["one", "uno", "two", "dos"]);
      expect(ctx.items.msg_r1).toMatchObject({ id: "msg_r1", type: "message" });
      expect(store.get("r2", 3_000)).toMatchObject({ id: "r2", previous_response_id: "r1" });
      expect(store.context("r9", [], 3_000)).toEqual({ ok: false, missing: "previous_response_id", id: "r9" });
      expect(store.context(null, ["msg_nope"], 3_000)).toEqual({ ok: false, missing: "item", id: "msg_nope" });
      // A fresh store object on the same storage (after hibernation, a deploy) sees the same.
      expect(new ResponseStore(storage, limits).get("r1", 3_000)).toMatchObject({ id: "r1" });
    });
  });

  it("deleting a turn removes it: the conversation after it can no longer be rebuilt", async () => {
    await inObject("responses-delete", async (store) => {
      await store.put(turn("a1", null, "one", "uno"), 1_000);
      await store.put(turn("a2", "a1", "two", "dos"), 2_000);
      expect(store.delete("a1")).toBe(true);
      expect(store.delete("a1")).toBe(false);
      expect(store.get("a1", 3_000)).toBeUndefined();
      expect(store.context("a2", [], 3_000)).toEqual({ ok: false, missing: "previous_response_id", id: "a1" });
      expect(store.context(null, ["msg_a1"], 3_000)).toMatchObject({ ok: false, missing: "item" });
    });
  });

  it("keeps at most maxResponses: the least recently used go first, a chain continued together from its newest end", async () => {
    await inObject("responses-cap", async (store) => {
      await store.put(turn("c1", null, "one", "uno"), 1_000);
      await store.put(turn("c2", "c1", "two", "dos"), 2_000);
      await store.put(turn("x1", null, "other", "otro"), 3_000);
      await store.put(turn("x2", null, "another", "otro mas"), 4_000);
      // Continuing c2 refreshes c1 and c2: x1 is now the least recently used.
      expect(store.context("c2", [], 5_000).ok).toBe(true);
      await store.put(turn("c3", "c2", "three", "tres"), 6_000);
      expect(store.get("x1", 6_000)).toBeUndefined();
      expect(store.get("x2", 6_000)).toBeDefined();
      expect(store.context("c3", [], 7_000).ok).toBe(true);
      // c1..c3 were used together at 7,000; x2 at 4,000 goes next, then c3 (the newest of the chain), never c1 first.
      await store.put(turn("y1", null, "y", "y"), 8_000);
      await store.put(turn("y2", null, "y", "y"), 9_000);
      expect(store.get("x2", 9_000)).toBeUndefined();
      expect(store.get("c3", 9_000)).toBeUndefined();
      expect(store.context("c2", [], 9_000).ok).toBe(true);
    });
  });

  it("forgets a response retentionMs after its last use, and sets an alarm for it", async () => {
    await inObject("responses-retention", async (store, storage) => {
      const t0 = Date.now();
      await store.put(turn("d1", null, "one", "uno"), t0);
      expect(await storage.getAlarm()).toBe(t0 + limits.retentionMs);
      expect(store.get("d1", t0 + limits.retentionMs - 1)).toBeDefined();
      expect(store.get("d1", t0 + limits.retentionMs + 1)).toBeUndefined();
      expect(await store.expire(t0 + limits.retentionMs + 1)).toBe(1);
      expect(store.delete("d1")).toBe(false);
    });
  });

  it("stores a response longer than one SQLite row", async () => {
    await inObject("responses-large", async (store) => {
      const big = "x".repeat(1_500_000);
      await store.put(turn("big", null, big, "ok"), 1_000);
      const ctx = store.context("big", [], 2_000);
      if (!ctx.ok) throw new Error("missing");
      expect(texts(ctx.history)[0]).toHaveLength(1_500_000);
    });
  });
});

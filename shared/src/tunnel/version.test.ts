import { describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "./protocol.js";
import { compatibility, protocolOfHeader, UPGRADE_HOW, WORKER_PROTOCOL } from "./version.js";

const worker = { min: 2, max: 3, version: "0.4.0" };

describe("compatibility", () => {
  it("accepts every version in the Worker's range, ends included", () => {
    for (const protocol of [2, 3]) expect(compatibility({ worker, sidecar: { protocol } })).toEqual({ ok: true });
  });

  it("an older sidecar is told to upgrade the sidecar, with the command", () => {
    const v = compatibility({ worker, sidecar: { protocol: 1, version: "0.1.0" } });
    expect(v).toMatchObject({ ok: false, upgrade: "sidecar" });
    if (v.ok) return;
    expect(v.message).toBe(`this Worker (Hearth 0.4.0) speaks tunnel protocols 2-3; this sidecar (0.1.0) speaks protocol 1: upgrade the sidecar (${UPGRADE_HOW.sidecar})`);
    expect(v.closeReason).toBe("upgrade the sidecar: Worker speaks protocols 2-3, sidecar 1");
  });

  it("a newer sidecar is told to upgrade the Worker, with the command", () => {
    const v = compatibility({ worker: { min: 1, max: 1 }, sidecar: { protocol: 2 } });
    expect(v).toMatchObject({ ok: false, upgrade: "worker" });
    if (v.ok) return;
    expect(v.message).toBe(`this Worker speaks tunnel protocol 1; this sidecar speaks protocol 2: upgrade the Worker (${UPGRADE_HOW.worker})`);
    expect(v.closeReason).toBe("upgrade the worker: Worker speaks protocol 1, sidecar 2");
  });

  it("a version that is not a whole number is never compatible", () => {
    expect(compatibility({ worker, sidecar: { protocol: Number.NaN } }).ok).toBe(false);
    expect(compatibility({ worker, sidecar: { protocol: 2.5 } }).ok).toBe(false);
  });

  it("close reasons fit a WebSocket close frame (123 bytes) even for long version numbers", () => {
    const v = compatibility({ worker: { min: 999_998, max: 999_999 }, sidecar: { protocol: 1 } });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    // ASCII, so characters are bytes.
    expect(v.closeReason).toMatch(/^[\x20-\x7e]+$/);
    expect(v.closeReason.length).toBeLessThanOrEqual(123);
  });

  it("this build's sidecar and Worker work together", () => {
    expect(compatibility({ worker: WORKER_PROTOCOL, sidecar: { protocol: PROTOCOL_VERSION } })).toEqual({ ok: true });
  });
});

describe("protocolOfHeader", () => {
  it("absent is undefined (a sidecar older than the header); a number is that number; anything else NaN", () => {
    expect(protocolOfHeader(null)).toBeUndefined();
    expect(protocolOfHeader("")).toBeUndefined();
    expect(protocolOfHeader("2")).toBe(2);
    expect(protocolOfHeader(" 7 ")).toBe(7);
    expect(protocolOfHeader("2.1")).toBeNaN();
    expect(protocolOfHeader("two")).toBeNaN();
    expect(protocolOfHeader("-1")).toBeNaN();
  });
});

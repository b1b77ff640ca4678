import { describe, expect, it } from "vitest";
import { DisposedError, InsufficientMemoryError } from "node-llama-cpp";
import { BackendError } from "../types.js";
import { abortable, toBackendError } from "./errors.js";

const live = { signal: new AbortController().signal, disposing: false };

describe("toBackendError", () => {
  it("passes BackendErrors through", () => {
    const e = new BackendError("model_not_found", "x");
    expect(toBackendError(e, live)).toBe(e);
  });
  it("calls anything after the signal fired a cancellation", () => {
    const c = new AbortController();
    c.abort();
    expect(toBackendError(new Error("AbortError"), { signal: c.signal, disposing: false }).code).toBe("cancelled");
  });
  it("calls native objects disposed under a request a shutdown", () => {
    expect(toBackendError(new DisposedError(), live).code).toBe("draining");
    expect(toBackendError(new Error("x"), { ...live, disposing: true }).code).toBe("draining");
  });
  it("maps out-of-memory to unsupported and the rest to backend_error", () => {
    expect(toBackendError(new InsufficientMemoryError("no RAM"), live).code).toBe("unsupported");
    const e = toBackendError(new Error("decode failed"), live);
    expect(e).toMatchObject({ code: "backend_error", message: "llama.cpp: decode failed" });
  });
});

describe("abortable", () => {
  it("resolves with the promise", async () => {
    await expect(abortable(Promise.resolve(1), live.signal)).resolves.toBe(1);
  });
  it("rejects with cancelled as soon as the signal fires", async () => {
    const c = new AbortController();
    const p = abortable(new Promise(() => {}), c.signal);
    c.abort();
    await expect(p).rejects.toMatchObject({ code: "cancelled" });
  });
});

import { describe, expect, it } from "vitest";
import { BackendError } from "../types.js";
import { toBackendError } from "./errors.js";

/** Shaped like the ollama client's (unexported) ResponseError. */
function responseError(message: string, status: number): Error {
  return Object.assign(new Error(message), { name: "ResponseError", status_code: status });
}

const ctx = { host: "http://127.0.0.1:11434", model: "llama3.2:latest" };

describe("toBackendError", () => {
  it("maps a full queue (503 or its message) to overloaded", () => {
    expect(toBackendError(responseError("server busy, please try again.  maximum pending requests exceeded", 503), ctx).code).toBe("overloaded");
    expect(toBackendError(new Error("maximum pending requests exceeded"), ctx).code).toBe("overloaded");
  });

  it("maps a model 404 to model_not_found, but not a 404 from something that is not Ollama", () => {
    expect(toBackendError(responseError('model "x" not found, try pulling it first', 404), ctx).code).toBe("model_not_found");
    expect(toBackendError(responseError("404 page not found", 404), ctx).code).toBe("backend_error");
  });

  it("maps 400s: missing capability to unsupported, the rest to invalid_request", () => {
    expect(toBackendError(responseError("registry.ollama.ai/library/x does not support tools", 400), ctx).code).toBe("unsupported");
    expect(toBackendError(responseError("invalid options", 400), ctx).code).toBe("invalid_request");
  });

  it("names the host when the connection is refused", () => {
    const refused = new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
    const e = toBackendError(refused, ctx);
    expect(e.code).toBe("backend_error");
    expect(e.message).toContain("not reachable at http://127.0.0.1:11434");
  });

  it("keeps BackendErrors and makes anything else a backend_error", () => {
    const own = new BackendError("unsupported", "x");
    expect(toBackendError(own, ctx)).toBe(own);
    expect(toBackendError(responseError("boom", 500), ctx)).toMatchObject({ code: "backend_error", message: "Ollama answered 500: boom" });
    expect(toBackendError("weird", ctx).code).toBe("backend_error");
  });
});

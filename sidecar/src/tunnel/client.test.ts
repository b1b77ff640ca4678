import { describe, expect, it } from "vitest";
import { requestIdOf } from "./client.js";

describe("requestIdOf", () => {
  it("finds the id of a request frame the sidecar could not validate, and nothing else", () => {
    expect(requestIdOf(JSON.stringify({ t: "request", id: "r1", model: "m", body: { reasoning_effort: "from-the-future" } }))).toBe("r1");
    expect(requestIdOf(JSON.stringify({ t: "cancel", id: "r1" }))).toBeUndefined();
    expect(requestIdOf(JSON.stringify({ t: "request", id: 5 }))).toBeUndefined();
    expect(requestIdOf("not json")).toBeUndefined();
  });
});

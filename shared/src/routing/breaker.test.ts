import { describe, expect, it } from "vitest";
import { admit, closedBreaker, recordFailure, recordSuccess, wouldAdmit, type BreakerOptions, type BreakerState } from "./breaker.js";

const opts: BreakerOptions = { failureThreshold: 3, cooldownMs: 1000 };

describe("circuit breaker", () => {
  it("opens after the threshold of consecutive failures", () => {
    let s = closedBreaker();
    s = recordFailure(s, 0, opts);
    s = recordFailure(s, 0, opts);
    expect(s.status).toBe("closed");
    expect(wouldAdmit(s, 0, opts)).toBe(true);
    s = recordFailure(s, 10, opts);
    expect(s).toMatchObject({ status: "open", openedAt: 10 });
    expect(admit(s, 500, opts).allow).toBe(false);
  });
  it("lets exactly one probe through after the cool-down", () => {
    let s: BreakerState = { status: "open", failures: 3, openedAt: 0, probing: false };
    const first = admit(s, 1000, opts);
    expect(first.allow).toBe(true);
    s = first.state;
    expect(s).toMatchObject({ status: "half_open", probing: true });
    expect(admit(s, 1001, opts).allow).toBe(false);
  });
  it("closes on a successful probe and re-opens on a failed one", () => {
    const probing = { status: "half_open" as const, failures: 3, openedAt: 0, probing: true };
    expect(recordSuccess()).toEqual(closedBreaker());
    const reopened = recordFailure(probing, 2000, opts);
    expect(reopened).toMatchObject({ status: "open", openedAt: 2000, probing: false });
    expect(wouldAdmit(reopened, 2500, opts)).toBe(false);
    expect(wouldAdmit(reopened, 3000, opts)).toBe(true);
  });
  it("a success resets the failure count", () => {
    let s = recordFailure(recordFailure(closedBreaker(), 0, opts), 0, opts);
    s = recordSuccess();
    s = recordFailure(s, 0, opts);
    expect(s.status).toBe("closed");
  });
});

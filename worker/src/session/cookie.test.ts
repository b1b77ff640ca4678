import { describe, expect, it } from "vitest";
import { clearedCookie, cookieRequestAllowed, readCookie, sameOrigin, sessionCookie, SESSION_TTL_MS } from "./cookie.js";

const URL_ = "https://hearth.example/v1/policy";
const req = (method: string, headers: Record<string, string> = {}) => ({ method, url: URL_, headers: new Headers(headers) });

describe("readCookie", () => {
  it("finds one cookie among several, and nothing in an empty or absent header", () => {
    expect(readCookie("a=1; hearth_session=abc_-9; b=2", "hearth_session")).toBe("abc_-9");
    expect(readCookie("hearth_sessionx=1", "hearth_session")).toBeUndefined();
    expect(readCookie("hearth_session=", "hearth_session")).toBeUndefined();
    expect(readCookie(null, "hearth_session")).toBeUndefined();
  });
});

describe("sessionCookie", () => {
  it("is HttpOnly, SameSite=Strict, Path=/, with a Max-Age, and Secure only over https", () => {
    expect(sessionCookie("id1", SESSION_TTL_MS, false)).toBe("hearth_session=id1; HttpOnly; SameSite=Strict; Path=/; Max-Age=604800");
    expect(sessionCookie("id1", SESSION_TTL_MS, true)).toMatch(/; Secure$/);
    expect(clearedCookie(true)).toBe("hearth_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0; Secure");
  });
});

describe("sameOrigin", () => {
  it("is true only for this exact origin (scheme, host and port)", () => {
    expect(sameOrigin("https://hearth.example", URL_)).toBe(true);
    expect(sameOrigin("http://hearth.example", URL_)).toBe(false);
    expect(sameOrigin("https://hearth.example:8443", URL_)).toBe(false);
    expect(sameOrigin("https://hearth.example.evil", URL_)).toBe(false);
    expect(sameOrigin("null", URL_)).toBe(false);
    expect(sameOrigin(null, URL_)).toBe(false);
  });
});

describe("cookieRequestAllowed", () => {
  const csrf = "tok_123";
  const good = { origin: "https://hearth.example", "x-hearth-csrf": csrf };

  it("lets reads through without a token", () => {
    expect(cookieRequestAllowed(req("GET"), csrf)).toEqual({ ok: true });
    expect(cookieRequestAllowed(req("HEAD", { origin: "https://evil.example" }), csrf)).toEqual({ ok: true });
  });

  it("lets a write through with this origin and the session's token", () => {
    for (const m of ["POST", "PUT", "DELETE", "PATCH"]) expect(cookieRequestAllowed(req(m, good), csrf)).toEqual({ ok: true });
  });

  it("refuses a write without the token, with a wrong one, or from another origin or none", () => {
    expect(cookieRequestAllowed(req("PUT", { origin: good.origin }), csrf)).toMatchObject({ ok: false, why: expect.stringContaining("x-hearth-csrf") });
    expect(cookieRequestAllowed(req("PUT", { ...good, "x-hearth-csrf": "tok_124" }), csrf).ok).toBe(false);
    expect(cookieRequestAllowed(req("PUT", { ...good, "x-hearth-csrf": "" }), csrf).ok).toBe(false);
    expect(cookieRequestAllowed(req("POST", { ...good, origin: "https://evil.example" }), csrf)).toMatchObject({ ok: false, why: expect.stringContaining("https://evil.example") });
    expect(cookieRequestAllowed(req("POST", { "x-hearth-csrf": csrf }), csrf)).toMatchObject({ ok: false, why: expect.stringContaining("none") });
  });

  it("requires this origin for a WebSocket upgrade (CORS does not guard one), but no token", () => {
    expect(cookieRequestAllowed(req("GET", { upgrade: "websocket", origin: "https://hearth.example" }), csrf)).toEqual({ ok: true });
    expect(cookieRequestAllowed(req("GET", { upgrade: "websocket", origin: "https://evil.example" }), csrf).ok).toBe(false);
    expect(cookieRequestAllowed(req("GET", { upgrade: "WebSocket" }), csrf).ok).toBe(false);
  });
});

/**
 * The dashboard as a person uses it, in a real headless Chromium against `wrangler dev` (assets built
 * by wrangler's [build] step), a real sidecar on the fake Ollama, and the fake OpenAI for the cloud:
 * sign in with a key, see the machine and its models, watch a request arrive live, edit the policy
 * (and get the bad field named), see a budget stop cloud calls, sign out; the operator's admin views.
 * Each view is saved as a screenshot, desktop and phone sized, under test/screenshots/.
 *
 * Users:
 *   home   sidecar on the fake Ollama ("echo"), cloud target gpt-4o-mini
 *   away   no sidecar: the "not connected" state, an empty account, and the budget
 *   later  a sidecar that connects while Home is open, then stops
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FakeServer } from "../fakes/harness.js";
import { startFakeOllama, type FakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { browserAvailable, DESKTOP, launchBrowser, PHONE, screenshot } from "../support/browser.js";
import type { SidecarProcess } from "../support/sidecar.js";
import { startSidecars, stopSidecar } from "../support/sidecars.js";
import { cloudVars, ROOT, startWorker, type RunningWorker } from "../support/wrangler.js";

const OPENAI = "openai/gpt-4o-mini";
const SIDECAR_VERSION = (JSON.parse(readFileSync(join(ROOT, "sidecar/package.json"), "utf8")) as { version: string }).version;
const HOME = "local/echo:latest";
/** A prompt that must never appear on the Live page. */
const SECRET_PROMPT = "the-secret-prompt-text-4711";

type User = Awaited<ReturnType<RunningWorker["createUser"]>>;

const enabled = browserAvailable();
let openai: FakeServer;
let ollama: FakeOllama;
let worker: RunningWorker;
let sidecars: SidecarProcess[] = [];
let browser: Browser;
const users = {} as Record<"home" | "away" | "later", User>;
const contexts: BrowserContext[] = [];
/** Errors thrown in any page: each test must end with none. */
const pageErrors: string[] = [];

async function newPage(viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ viewport, baseURL: worker.url });
  contexts.push(context);
  const page = await context.newPage();
  page.on("pageerror", (err) => pageErrors.push(err.message));
  return page;
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto("/");
  await page.getByLabel("API key or admin token").fill(key);
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

function chat(u: User, model: string, content: string, maxTokens = 16): Promise<Response> {
  return fetch(`${worker.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${u.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model, max_tokens: maxTokens, messages: [{ role: "user", content }] }),
  });
}

/** Both screenshots of the view the page shows: desktop now, then phone sized. */
async function shoot(page: Page, name: string): Promise<void> {
  await screenshot(page, `${name}-desktop`);
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(150);
  await screenshot(page, `${name}-phone`);
  await page.setViewportSize(DESKTOP);
}

describe.skipIf(!enabled)("the dashboard in a browser", () => {
  beforeAll(async () => {
    [openai, ollama] = await Promise.all([startFakeOpenAI(), startFakeOllama({ models: [{ name: "echo" }] })]);
    ollama.loaded.set("echo:latest", Date.now() + 600_000);
    worker = await startWorker({
      vars: { ...cloudVars(openai), HEARTH_AUTO_TARGETS: OPENAI, HEARTH_PRICES: JSON.stringify({ [OPENAI]: { input: 1000, output: 1000 } }) },
    });
    [users.home, users.away, users.later] = await Promise.all([worker.createUser("home"), worker.createUser("away"), worker.createUser("later")]);
    [sidecars, browser] = await Promise.all([
      startSidecars([{ workerUrl: worker.url, token: users.home.sidecarToken, apiKey: users.home.apiKey, ollama: ollama.url, args: ["--name", "den-pc"] }]),
      launchBrowser(),
    ]);
  }, 120_000);

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
    expect(pageErrors.splice(0), "errors thrown in the page").toEqual([]);
  });

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await browser?.close();
    await Promise.all(sidecars.map((s) => stopSidecar(s)));
    await worker?.stop();
    await Promise.all([openai?.close(), ollama?.close()]);
  });

  it("Home shows a machine as it connects and as it goes, pushed over the live socket (not the 15 s poll)", async () => {
    const page = await newPage();
    await signIn(page, users.later.apiKey);
    await page.getByRole("link", { name: "Home" }).click();
    await page.getByTestId("not-connected").waitFor();
    const [later] = await startSidecars([{ workerUrl: worker.url, token: users.later.sidecarToken, apiKey: users.later.apiKey, ollama: ollama.url, args: ["--name", "attic-mac"] }]);
    try {
      const connectedAt = Date.now();
      // The sidecar was connected before startSidecars returned; the poll alone would take up to 15 s.
      await page.getByText("attic-mac").waitFor({ timeout: 3_000 });
      expect(Date.now() - connectedAt).toBeLessThan(3_000);
      expect(await page.getByTestId("not-connected").count()).toBe(0);
    } finally {
      await stopSidecar(later!);
    }
    await page.getByTestId("not-connected").waitFor({ timeout: 3_000 });
  });

  it("serves the dashboard at / and /dashboard, with a CSP, and refuses a wrong key by name", async () => {
    for (const path of ["/", "/dashboard"]) {
      const r = await fetch(`${worker.url}${path}`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toContain("text/html");
      expect(r.headers.get("content-security-policy")).toContain("script-src 'self'");
    }
    const page = await newPage();
    await page.goto("/");
    await screenshot(page, "signin-desktop");
    await page.getByLabel("API key or admin token").fill("hk_wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("neither an API key");
    expect(await page.getByLabel("API key or admin token").getAttribute("aria-invalid")).toBe("true");
  });

  it("signs in with a key (the browser keeps a cookie, not the key) and shows the connected sidecar and its models", async () => {
    const page = await newPage();
    await signIn(page, users.home.apiKey);
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([["hearth_session", true, "Strict"]]);
    expect(JSON.stringify(cookies)).not.toContain(users.home.apiKey);
    // Evaluated in the page (a string: the test's tsconfig has no DOM types).
    expect(await page.evaluate<string>("JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })")).not.toContain("hk_");

    await page.getByRole("link", { name: "Home" }).click();
    const card = page.getByTestId("sidecar");
    await card.waitFor();
    await expect.poll(() => card.textContent()).toContain("den-pc");
    const text = (await card.textContent()) ?? "";
    expect(text).toContain(HOME);
    expect(text).toContain("loaded");
    expect(text).toContain("ollama");
    expect(text).toMatch(/Slots busy\s*0 of \d/);
    // GET /v1/health's checks, under the machines.
    const health = page.getByTestId("health");
    await expect.poll(() => health.locator("li").count()).toBeGreaterThanOrEqual(3);
    expect(await health.locator("li", { hasText: "sidecars" }).textContent()).toMatch(/^ok/);
    await shoot(page, "home");
  });

  it("shows a user without a sidecar how to connect one, with this deployment's URL, on an empty account", async () => {
    const page = await newPage();
    await signIn(page, users.away.apiKey);
    await page.getByTestId("tile-requests").waitFor();
    expect(await page.getByTestId("tile-requests").textContent()).toContain("0");
    await shoot(page, "overview-empty");
    await page.getByRole("link", { name: "Home" }).click();
    const command = page.getByTestId("sidecar-command");
    await command.waitFor();
    // This checkout's sidecar is not published: the line installs the tarball `pnpm --filter @hearth/sidecar package` makes.
    expect(await command.textContent()).toBe(`npm install -g hearth-sidecar-${SIDECAR_VERSION}.tgz && hearth-sidecar init --url ${worker.url} --token hs_…`);
    expect(await page.getByTestId("not-connected").textContent()).toContain("not connected");
    await shoot(page, "home-not-connected");
  });

  it("pushes a request to Live as it finishes — target, tokens, outcome — and never its prompt", async () => {
    const page = await newPage();
    await signIn(page, users.home.apiKey);
    await page.getByRole("link", { name: "Live" }).click();
    await expect.poll(() => page.locator(".live-status").textContent(), { timeout: 10_000 }).toBe("live");
    const r = await chat(users.home, "auto", SECRET_PROMPT);
    expect(r.headers.get("x-hearth-target")).toBe(HOME);
    const row = page.getByTestId("live-table").locator("tbody tr").first();
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain(HOME);
    expect(await row.locator('td[data-label="Outcome"]').textContent()).toBe("ok");
    expect(await row.locator('td[data-label="Tokens"]').textContent()).toMatch(/^\d+ → \d+$/);
    expect(await page.content()).not.toContain(SECRET_PROMPT);
    await shoot(page, "live");
  });

  it("charts the requests on the Overview", async () => {
    // At least one request at home and one in the cloud, whatever ran before.
    expect((await chat(users.home, "auto", "hello")).status).toBe(200);
    expect((await chat(users.home, OPENAI, "hello")).status).toBe(200);
    const page = await newPage();
    await signIn(page, users.home.apiKey);
    const requests = page.getByTestId("tile-requests");
    await requests.waitFor();
    await expect.poll(async () => Number(((await requests.locator(".tile-value").textContent()) ?? "0").replace(/,/g, "")), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    // By keyboard: the range is a radio group moved with the arrow keys.
    await page.getByRole("radio", { name: "Last day" }).focus();
    await page.keyboard.press("ArrowLeft");
    expect(await page.evaluate<string>("document.activeElement.textContent")).toBe("Last hour");
    expect(await page.getByRole("radio", { name: "Last hour" }).getAttribute("aria-checked")).toBe("true");
    // Requests by target, TTFT and spend: three charts drawn from /v1/stats/series, for the last hour.
    await expect.poll(() => requests.locator(".tile-sub").textContent()).toMatch(/^last hour; \d+ in all$/);
    await expect.poll(() => page.locator(".chart canvas").count()).toBe(3);
    expect(await page.getByText("Charts over time need GET /v1/stats/series").count()).toBe(0);
    await shoot(page, "overview");
  });

  it("edits the policy, names the bad field of a wrong one, and explains a prompt's route", async () => {
    const page = await newPage();
    await signIn(page, users.home.apiKey);
    await page.getByRole("link", { name: "Routing" }).click();
    const editor = page.locator("#policy-json");
    await expect.poll(() => editor.inputValue()).toBe("{}");

    await page.getByLabel("Mode", { exact: true }).selectOption("hybrid");
    await page.getByRole("button", { name: "Save policy" }).click();
    await expect.poll(() => page.locator("#policy-status").textContent()).toContain("Saved");
    const saved = await fetch(`${worker.url}/v1/policy`, { headers: { authorization: `Bearer ${users.home.apiKey}` } });
    expect(await saved.json()).toEqual({ mode: "hybrid" });

    await editor.fill(JSON.stringify({ mode: "hybrid", hedge: { enabled: "yes" } }));
    await page.getByRole("button", { name: "Save policy" }).click();
    await expect.poll(() => page.getByTestId("policy-error-field").textContent()).toBe("hedge.enabled");
    expect(await page.getByLabel("Hedging", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    // The refused policy was not stored.
    expect(await (await fetch(`${worker.url}/v1/policy`, { headers: { authorization: `Bearer ${users.home.apiKey}` } })).json()).toEqual({ mode: "hybrid" });

    await page.getByLabel("Prompt", { exact: true }).fill("Write a Python function that parses a CSV file");
    await page.getByRole("button", { name: "Explain" }).click();
    const result = page.getByTestId("explain-result");
    await result.waitFor();
    expect(await result.textContent()).toMatch(/Mode hybrid/);
    expect(await result.locator("ol.plan li").count()).toBeGreaterThanOrEqual(1);
    await shoot(page, "routing");
  });

  it("shows a budget stopping cloud calls", async () => {
    const openaiCallsBefore = openai.requests.filter((r) => r.path.includes("/chat/completions")).length;
    // Spend first, with no budget: one answer at the test's prices ($1,000 per million tokens) costs cents.
    const first = await chat(users.away, OPENAI, "spend it");
    expect(first.status).toBe(200);
    expect(first.headers.get("x-hearth-target")).toBe(OPENAI);

    // Then a daily budget below what was spent, set in the Routing view: the cloud is refused.
    const page = await newPage();
    await signIn(page, users.away.apiKey);
    await page.getByRole("link", { name: "Routing" }).click();
    await expect.poll(() => page.locator("#policy-json").inputValue()).toBe("{}");
    await page.getByLabel("Daily cloud budget (USD)").fill("0.001");
    await page.getByLabel("At the budget").selectOption("refuse");
    await page.getByRole("button", { name: "Save policy" }).click();
    await expect.poll(() => page.locator("#policy-status").textContent()).toContain("Saved");
    expect(JSON.parse(await page.locator("#policy-json").inputValue())).toEqual({ budget: { dailyUsd: 0.001, onExceeded: "refuse" } });

    const refused = await chat(users.away, "auto", "and more");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-hearth-trace")).toContain("reason=budget");
    expect(openai.requests.filter((r) => r.path.includes("/chat/completions"))).toHaveLength(openaiCallsBefore + 1);

    await page.getByRole("link", { name: "Overview" }).click();
    const budget = page.getByTestId("budget");
    await expect.poll(() => budget.getAttribute("data-state"), { timeout: 10_000 }).toBe("exceeded");
    expect(await budget.textContent()).toContain("Budget reached");
    await shoot(page, "overview-budget");
  });

  it("signs out: the session ends on the server, and the sign-in form is back", async () => {
    const page = await newPage();
    await signIn(page, users.home.apiKey);
    const [cookie] = await page.context().cookies();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API key or admin token").waitFor();
    const r = await fetch(`${worker.url}/v1/me`, { headers: { cookie: `hearth_session=${cookie?.value}` } });
    expect(r.status).toBe(401);
    expect(await page.context().cookies()).toEqual([]);
  });

  it("Home shows each model's checked-answer pass rates: repaired, failed and on which check", async () => {
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false };
    const ask = (content: string) =>
      fetch(`${worker.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${users.home.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "auto", response_format: { type: "json_schema", json_schema: { name: "w", schema, strict: true } }, messages: [{ role: "user", content }] }),
      });
    // Home first (earlier tests left this user's policy on hybrid rules).
    expect((await worker.admin("PUT", `/users/${users.home.id}/policy`, {})).status).toBe(200);
    const repaired = await ask("Oslo [[fake:json-fenced]]");
    expect(repaired.headers.get("x-hearth-target")).toBe(HOME);
    const failed = await ask("Oslo [[fake:json-against-schema]]");
    expect(failed.headers.get("x-hearth-target")).toBe(OPENAI);
    // Records reach the user's Durable Object a moment after each answer.
    await expect.poll(async () => JSON.stringify(await (await fetch(`${worker.url}/v1/stats`, { headers: { authorization: `Bearer ${users.home.apiKey}` } })).json()), { timeout: 5_000 }).toContain('"structured":{"checked":2');
    const page = await newPage();
    await signIn(page, users.home.apiKey);
    await page.getByRole("link", { name: "Home" }).click();
    const json = page.getByTestId("checks-json");
    await expect.poll(() => json.textContent()).toContain("JSON 50%");
    const text = (await json.textContent()) ?? "";
    expect(text).toContain("1 of 2 passed, 1 repaired");
    expect(text).toContain("failed: json_schema 1");
    await shoot(page, "home-checks");
  });

  it("signs the operator in with the admin token: users, usage, a key issued once and revoked", async () => {
    const page = await newPage();
    await signIn(page, worker.adminToken);
    expect(await page.locator("nav a").allTextContents()).toEqual(["Admin"]);
    const health = page.getByTestId("health");
    await expect.poll(() => health.locator("li", { hasText: "users" }).count()).toBe(1);
    const cards = page.getByTestId("admin-user");
    await expect.poll(() => cards.count()).toBeGreaterThanOrEqual(2);
    const home = cards.filter({ hasText: users.home.id });
    await expect.poll(() => home.textContent()).toContain("Requests");

    await page.getByLabel("New user").fill("carol");
    await page.getByRole("button", { name: "Create" }).click();
    const secrets = page.getByTestId("secret");
    await expect.poll(() => secrets.count()).toBe(2);
    const apiKey = (await secrets.first().textContent()) ?? "";
    expect(apiKey).toMatch(/^hk_/);
    expect((await fetch(`${worker.url}/v1/me`, { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(200);
    await shoot(page, "admin");

    const carol = cards.filter({ hasText: "carol" });
    page.once("dialog", (d) => void d.accept());
    await carol.getByRole("button", { name: /^Revoke hk_/ }).click();
    await expect.poll(() => carol.locator("li.revoked").count()).toBe(1);
    // Other isolates may trust the key for up to AUTH_CACHE_TTL_MS; wrangler dev has one.
    await expect.poll(async () => (await fetch(`${worker.url}/v1/me`, { headers: { authorization: `Bearer ${apiKey}` } })).status, { timeout: 7_000 }).toBe(401);
  });
});

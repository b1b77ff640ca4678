/**
 * Headless Chromium for the dashboard's end-to-end tests: Debian's `chromium` package driven by
 * playwright-core (no browser download; `.ci/run` installs the package). Where the binary is missing,
 * the tests skip with a message — unless HEARTH_BROWSER_TESTS=required (CI), where that is a failure.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { ROOT } from "./wrangler.js";

/** The browser binary: HEARTH_CHROMIUM, else Debian's. */
export const CHROMIUM = process.env.HEARTH_CHROMIUM ?? "/usr/bin/chromium";
/** Screenshots of each view, desktop and phone sized (git-ignored). */
export const SCREENSHOTS = join(ROOT, "test/screenshots");

export const DESKTOP = { width: 1280, height: 860 };
/** An iPhone 13's CSS viewport. */
export const PHONE = { width: 390, height: 844 };

export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.HEARTH_BROWSER_TESTS === "required") throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set HEARTH_CHROMIUM)`);
  console.warn(`dashboard browser tests skipped: no browser at ${CHROMIUM} (apt-get install -y chromium, or set HEARTH_CHROMIUM)`);
  return false;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
}

/** Saves a full-page screenshot as test/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

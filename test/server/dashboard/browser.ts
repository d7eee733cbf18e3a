/**
 * Debian's Chromium driven by playwright-core for the dashboard tests, with
 * a fresh profile per launch and a fake microphone (Chromium's built-in test
 * tone) so push-to-talk can run headless. `CHROMIUM` names the binary.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
export const SKIP_REASON = `skipped: ${CHROMIUM} is missing (install Debian's chromium package: apt-get install -y chromium)`;

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-quic",
  "--disable-sync",
  // A fake microphone and no permission prompt, for push-to-talk.
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  "--autoplay-policy=no-user-gesture-required",
];

export interface Browser {
  context: BrowserContext;
  /** A new page that records console errors, page errors and failed requests. */
  page(): Promise<Page & { problems: string[] }>;
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "coda-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async page() {
      const page = (await context.newPage()) as Page & { problems: string[] };
      page.problems = [];
      page.on("console", (m) => {
        if (m.type() === "error") page.problems.push(`console: ${m.text()}`);
      });
      page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
      page.on("requestfailed", (r) => page.problems.push(`requestfailed: ${r.url()}`));
      page.on("response", (r) => {
        if (r.status() >= 400) page.problems.push(`HTTP ${r.status()}: ${r.url()}`);
      });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Launch one browser for the test file (when Chromium is installed) and
 * close it after the file's tests.
 * @example const browser = useBrowser(); ... const page = await browser()!.page();
 */
export function useBrowser(): () => Browser | undefined {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (hasChromium) browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  return () => browser;
}

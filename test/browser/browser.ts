import AxeBuilder from '@axe-core/playwright';
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core';

/** Debian's Chromium (scripts/services.sh installs it where missing). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where every browser test saves its screenshots (gitignored); paths are printed as they are taken. */
export const SCREENSHOTS = resolve(__dirname, 'screenshots');
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/**
 * Headless Chromium for the dashboard tests. As root it needs --no-sandbox; these machines have no
 * outside network, so everything that phones home is off (it would fail, noisily, at every start).
 * Playwright gives each launch a fresh, empty profile directory of its own.
 */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: run bash scripts/services.sh (installs Debian's chromium)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

/** Console errors, failed requests and uncaught exceptions of a page: a test ends with none. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  return problems;
}

/** A fresh context and page; `options` adds to the context's (e.g. `timezoneId` for date inputs). */
export async function newPage(
  browser: Browser,
  viewport = DESKTOP,
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce', ...options });
  const page = await context.newPage();
  return { context, page, problems: watchConsole(page) };
}

/** Saves a full-page screenshot as screenshots/<name>.png and prints its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${relative(process.cwd(), path)}`);
  return path;
}

/**
 * axe-core on the page as it is now (WCAG 2.x A/AA and best practices): the serious and critical
 * violations, as `rule: target…` lines (an empty list passes).
 */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The page is no wider than the viewport (no sideways scrolling at 390 px). */
export async function horizontalOverflow(page: Page): Promise<number> {
  // a string: these specs compile without the DOM library
  return page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
}

/**
 * How far the document scrolls sideways, px: `document.scrollingElement`'s scrollWidth minus its
 * clientWidth (the viewport without a vertical scrollbar). At most 1 (subpixel rounding) passes.
 */
export async function sidewaysScroll(page: Page): Promise<number> {
  return page.evaluate<number>(
    '(() => { const e = document.scrollingElement; return e.scrollWidth - e.clientWidth })()',
  );
}

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = join(__dirname, '..', '..');

/** Debian's chromium, never a downloaded one: the flags keep it from phoning home or needing a GPU. */
export const CHROMIUM = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
} as const;

/** A test file run on its own (not through npm test) still gets a UI built from today's sources. */
export function ensureUiBuilt(): void {
  execFileSync('bash', [join(ROOT, 'scripts', 'build-ui.sh')], { stdio: 'inherit' });
}

export const launchBrowser = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM.executablePath, args: [...CHROMIUM.args], headless: true });

export interface UiSession {
  page: Page;
  /** Console errors and uncaught page errors seen so far: the tests expect none. */
  errors: string[];
  /** Failed API answers the page received (status ≥ 500): the UI must never provoke one. */
  serverErrors: string[];
}

/** A fresh 1280×800 tab signed in with `key`, collecting console and page errors. */
export async function openUi(browser: Browser, baseUrl: string, key: string): Promise<UiSession> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: baseUrl });
  const page = await context.newPage();
  const errors: string[] = [];
  const serverErrors: string[] = [];
  page.on('console', (message) => {
    // A 4xx the UI asked for on purpose is logged by Chromium as a console error; the tests judge those.
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) errors.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(`${err.name}: ${err.message}`));
  page.on('response', (response) => {
    if (response.status() >= 500) serverErrors.push(`${response.status()} ${response.url()}`);
  });
  await page.goto('/');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return { page, errors, serverErrors };
}

/**
 * Screenshots for the README, taken by the tests so they always show the UI as it is. Into docs/screenshots only
 * on request (`npm run screenshots`): a test run must leave a clone as it found it. Otherwise into the state
 * directory, so the step still runs.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir =
    process.env.CTICLOUD_SCREENSHOTS === '1'
      ? join(ROOT, 'docs', 'screenshots')
      : join(process.env.CTICLOUD_STATE ?? join(homedir(), '.cache', 'cticloud', 'state'), 'screenshots');
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

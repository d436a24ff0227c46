import type { Browser, Locator } from 'playwright-core';
import { createApiKey } from '../support/keys';
import { ensureUiBuilt, launchBrowser, openUi } from '../support/browser';
import { startStack, type TestStack } from '../support/stack';

// The UI's frame on the real gateway: sign-in against GET /v1/me, role-aware navigation, sign-out.
let stack: TestStack;
let browser: Browser;
let base: string;

beforeAll(async () => {
  ensureUiBuilt();
  stack = await startStack({ gateway: true });
  browser = await launchBrowser();
  base = `http://${stack.config.API_HOST}:${stack.config.API_PORT}`;
}, 180_000);

// Node's types have no DOM; only the page evaluates this.
declare const window: { sessionStorage: { getItem(key: string): string | null } };

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

test('the gateway serves the UI at / and GET /v1/me says who a key is', async () => {
  const html = await fetch(`${base}/`);
  expect(html.status).toBe(200);
  expect(await html.text()).toContain('<div id="root">');
  const me = await stack.api('/v1/me');
  expect(me.status).toBe(200);
  expect(me.body).toMatchObject({ tenantId: stack.config.DEFAULT_TENANT, role: 'admin', agentId: null });
  expect((await stack.api('/v1/me', { key: 'cti_nope' })).status).toBe(401);
  // Unknown API paths are still the API's 404, not the UI's.
  expect((await stack.api('/v1/no-such-thing')).status).toBe(404);
});

test('a wrong key is refused with the API message; a right one signs in and signs out', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: base });
  const page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('API key').fill('cti_wrong_key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expectText(page.getByRole('alert'), /invalid or revoked API key/);
  await page.getByLabel('API key').fill(stack.config.ADMIN_API_KEY);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  // The key lives in session storage only: a reload stays signed in, a sign-out forgets it.
  await page.reload();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor();
  expect(await page.evaluate(() => window.sessionStorage.getItem('cticloud.apiKey'))).toBeNull();
  await context.close();
});

test('navigation follows the role of the key', async () => {
  const tenant = stack.config.DEFAULT_TENANT;
  const navOf = async (key: string) => {
    const { page, errors } = await openUi(browser, base, key);
    const links = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    expect(errors).toEqual([]);
    await page.context().close();
    return links;
  };
  const admin = await navOf(stack.config.ADMIN_API_KEY);
  const supervisor = await navOf(await createApiKey(stack.pool, tenant, 'supervisor'));
  const developer = await navOf(await createApiKey(stack.pool, tenant, 'developer'));
  expect(admin).toEqual(expect.arrayContaining(['Flows', 'Live calls', 'Queues', 'Campaigns', 'Tickets']));
  expect(supervisor).toEqual(expect.arrayContaining(['Live calls', 'Queues', 'Agents']));
  expect(supervisor).not.toContain('Flows');
  expect(developer).toContain('Flows');
  expect(developer).not.toContain('Agents');
});

async function expectText(locator: Locator, pattern: RegExp) {
  await locator.waitFor();
  expect(await locator.textContent()).toMatch(pattern);
}

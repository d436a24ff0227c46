import type { Browser, Locator } from 'playwright-core';
import { Role } from '../../lib/api-keys';
import { json, unique } from '../support/acd';
import { ensureUiBuilt, launchBrowser, openUi } from '../support/browser';
import { createApiKey } from '../support/keys';
import { startStack, type TestStack } from '../support/stack';

// Campaigns in the console: created from the form, contacts uploaded as a CSV file, the bad rows reported.
let stack: TestStack;
let browser: Browser;
let base: string;
let adminKey: string;

beforeAll(async () => {
  ensureUiBuilt();
  stack = await startStack({ gateway: true });
  browser = await launchBrowser();
  base = `http://${stack.config.API_HOST}:${stack.config.API_PORT}`;
  adminKey = await createApiKey(stack.pool, 'ui-campaigns', Role.Admin, 'ui campaigns admin');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

test('a campaign created in the console shows the error of a bad CSV row', async () => {
  const flowName = unique('Campaign flow');
  const definition = { schemaVersion: 1, start: 'bye', nodes: [{ id: 'bye', type: 'hangup' }], edges: [] };
  const flow = await stack.api('/v1/flows', {
    ...json('POST', { name: flowName, definition }),
    key: adminKey,
  });
  expect(flow.status).toBe(201);
  expect(
    (await stack.api(`/v1/flows/${flow.body.id}/publish`, { ...json('POST'), key: adminKey })).status,
  ).toBe(201);

  const ui = await openUi(browser, base, adminKey);
  const { page } = ui;
  await page.goto('/#/campaigns');
  await page.getByRole('heading', { name: 'Campaigns' }).waitFor();
  const form = page.getByRole('form', { name: 'New campaign' });

  // The API's message names the field that is wrong.
  await form.getByRole('button', { name: 'Create campaign' }).click();
  await expectText(form.getByRole('alert'), /name/);

  const name = unique('Spring');
  await form.getByLabel('Campaign name').fill(name);
  await form.getByLabel('Target flow').selectOption({ label: flowName });
  await form.getByLabel('Caller ID').fill('+12125550100');
  await form.getByRole('button', { name: 'Create campaign' }).click();
  const row = page.getByRole('row', { name: new RegExp(name) });
  await row.waitFor();
  await expectText(row, /draft/);

  const csv = ['phone,first_name', '+12125550101,Ann', 'not a number,Bob', '+14155550103,Cleo'].join('\n');
  await row.getByLabel(`Contacts CSV for ${name}`).setInputFiles({
    name: 'contacts.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv),
  });
  await row.getByRole('button', { name: 'Upload' }).click();
  const report = page.getByRole('region', { name: `Import report for ${name}` });
  await expectText(report, /2 of 3 rows accepted/);
  await expectText(report.getByRole('row', { name: /^3 / }), /characters other than digits/);
  await expectText(row, /Start/);

  expect(ui.errors).toEqual([]);
  expect(ui.serverErrors).toEqual([]);
  await page.context().close();
}, 90_000);

async function expectText(locator: Locator, pattern: RegExp, timeout = 15_000): Promise<void> {
  const until = Date.now() + timeout;
  for (;;) {
    const text = (await locator.textContent().catch(() => '')) ?? '';
    if (pattern.test(text)) return;
    if (Date.now() > until) throw new Error(`expected ${pattern} in: ${text.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

import type { Browser, Locator } from 'playwright-core';
import type { FlowCallStatus } from '../../workflows/flow-call-contract';
import { Role } from '../../lib/api-keys';
import { acdKit, json, unique } from '../support/acd';
import { createApiKey } from '../support/keys';
import { ensureUiBuilt, launchBrowser, openUi, screenshot, type UiSession } from '../support/browser';
import { callWorkflow, startStack, type TestStack } from '../support/stack';

// The supervisor console against the real stack: a real call through a flow and a queue to a synthetic agent,
// watched live, inspected, listened to and hung up from the browser.
let stack: TestStack;
let browser: Browser;
let base: string;
/**
 * The console's own tenant: its ACD workflow is started by this file's worker, not shared with suites that
 * run beside it on the default tenant.
 */
const TENANT = 'ui-console';
let adminKey: string;
const api = (path: string, init: RequestInit = {}) => stack.api(path, { ...init, key: adminKey });

beforeAll(async () => {
  ensureUiBuilt();
  stack = await startStack({ gateway: true });
  browser = await launchBrowser();
  base = `http://${stack.config.API_HOST}:${stack.config.API_PORT}`;
  adminKey = await createApiKey(stack.pool, TENANT, Role.Admin, 'ui console admin');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const expectClean = (ui: UiSession) => {
  expect(ui.errors).toEqual([]);
  expect(ui.serverErrors).toEqual([]);
};

/** Greets with TTS, then queues for the agent; the call stays up while they talk (agent 160: a minute). */
async function callCenter() {
  const kit = acdKit(stack);
  const ok = async (path: string, init: RequestInit, status = 201) => {
    const res = await api(path, init);
    if (res.status !== status) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const queue = await ok(
    '/v1/queues',
    json('POST', {
      name: unique('Support'),
      wrapUpSec: 1,
      ringTimeoutSec: 5,
      announce: { position: false, estimatedWait: false },
    }),
  );
  const agent = await ok(
    '/v1/agents',
    json('POST', {
      name: unique('agent 160'),
      endpoint: 'Local/160@synthetic-agent/n',
      queueIds: [queue.id],
    }),
  );
  await ok(`/v1/agents/${agent.id}/state`, json('POST', { state: 'available' }), 200);
  const definition = {
    schemaVersion: 1,
    start: 'greet',
    nodes: [
      { id: 'greet', type: 'play', params: { prompt: { kind: 'tts', text: 'Welcome. Please hold.' } } },
      { id: 'wait', type: 'queue', params: { queueId: queue.id } },
      { id: 'served', type: 'hangup' },
      { id: 'overflow', type: 'hangup' },
    ],
    edges: [
      { from: 'greet', exit: 'next', to: 'wait' },
      { from: 'wait', exit: 'served', to: 'served' },
      { from: 'wait', exit: 'overflow', to: 'overflow' },
    ],
  };
  const flow = await ok('/v1/flows', json('POST', { name: unique('Console'), definition }));
  await ok(`/v1/flows/${flow.id}/publish`, json('POST'));
  const number = `4${Date.now() % 10_000_000}`;
  await ok('/v1/numbers', json('POST', { number, flowId: flow.id }));
  return { kit, queue, agent, number };
}

test('a real call appears live with its node, opens to its timeline, is listened to and hung up', async () => {
  const { kit, queue, agent, number } = await callCenter();
  const ui = await openUi(browser, base, adminKey);
  const { page } = ui;
  await page.goto('/#/calls');
  await page.getByRole('heading', { name: 'Live calls' }).waitFor();

  const call = await kit.call(number, { from: '5550142', holdSec: 120 });
  const row = page.locator(`tr[data-call-id="${call.workflowId}"]`);
  // Live: the row arrives with the call, and follows it into the queue node and to the agent.
  await row.waitFor({ timeout: 20_000 });
  await expectText(row, /5550142/);
  await expectText(row.locator('td.node-cell'), /wait/, 30_000);
  await expectText(row, new RegExp(String(agent.name)), 30_000);
  await expectText(row, /talking/, 30_000);
  await expectText(row, new RegExp(String(queue.name)));
  await screenshot(page, 'console');

  await row.getByRole('link', { name: 'Call from 5550142' }).click();
  await page.getByRole('heading', { name: /Call 5550142/ }).waitFor();
  await expectText(page.getByTestId('current-node'), /wait/);
  const path = page.getByRole('list', { name: 'Path through the flow' });
  await expectText(path, /greet[\s\S]*wait/);
  const timeline = page.getByRole('table', { name: 'Workflow timeline' });
  await expectText(timeline, /workflow started/);
  await expectText(timeline, /activity scheduled/);
  const temporal = page.getByRole('link', { name: 'Open workflow in Temporal Web UI' });
  expect(await temporal.getAttribute('href')).toContain(
    `/namespaces/${stack.config.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(call.workflowId)}`,
  );

  // Listen: rings the synthetic supervisor, who answers; the endpoint is remembered for next time.
  await page.getByLabel('Supervisor endpoint').fill('Local/801@synthetic-supervisor/n');
  const monitored = page.waitForResponse(
    (r) => r.url().endsWith('/monitor') && r.request().method() === 'POST',
    {
      timeout: 45_000,
    },
  );
  await page.getByRole('button', { name: 'Listen', exact: true }).click();
  const answer = await monitored;
  expect(`${answer.status()} ${await answer.text()}`).toMatch(/^201 /);
  await expectText(page.getByRole('status'), /listen session [0-9a-f]{12} started/);
  expect(await page.evaluate(() => localStorage.getItem('cticloud.supervisorEndpoint'))).toBe(
    'Local/801@synthetic-supervisor/n',
  );
  await expectText(timeline, /local activity completed|activity completed/);
  await screenshot(page, 'call');

  await page.getByRole('button', { name: 'Hang up' }).click();
  await page.getByRole('button', { name: 'Confirm hang up' }).click();
  const result = (await (await callWorkflow(stack.temporal, call.workflowId)).result()) as FlowCallStatus;
  expect(result).toMatchObject({ endedBy: 'system', disposition: 'answered' });
  await expectText(page.getByTestId('current-node'), /ended/, 15_000);
  await expectText(timeline, /endCall/, 15_000);

  // Gone from the live list once ended.
  await page.goto('/#/calls');
  await page.getByRole('heading', { name: 'Live calls' }).waitFor();
  await row.waitFor({ state: 'detached', timeout: 15_000 });

  await page.goto('/#/queues');
  const queueRow = page.getByRole('row', { name: new RegExp(String(queue.name)) });
  await queueRow.waitFor();
  await screenshot(page, 'queues');
  await page.goto('/#/agents');
  await page.getByRole('row', { name: new RegExp(String(agent.name)) }).waitFor();
  expectClean(ui);
  await page.context().close();
}, 180_000);

// Node's types have no DOM; only the page evaluates this.
declare const localStorage: { getItem(key: string): string | null };

async function expectText(locator: Locator, pattern: RegExp, timeout = 15_000): Promise<void> {
  const until = Date.now() + timeout;
  for (;;) {
    const text = (await locator.textContent().catch(() => '')) ?? '';
    if (pattern.test(text)) return;
    if (Date.now() > until) throw new Error(`expected ${pattern} in: ${text.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

import type { Browser, Locator } from 'playwright-core';
import type { FlowCallStatus } from '../../workflows/flow-call/contract';
import { Role } from '../../lib/api-keys';
import { acdKit, endRoutingWorkflow, json, unique } from '../support/acd';
import { createApiKey } from '../support/keys';
import { ensureUiBuilt, launchBrowser, openUi, screenshot, type UiSession } from '../support/browser';
import { callWorkflow, startStack, type TestStack } from '../support/stack';
import { provisionNumber } from '../support/numbers';

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
  await endRoutingWorkflow(stack, TENANT);
}, 180_000);

afterAll(async () => {
  if (stack) await endRoutingWorkflow(stack, TENANT);
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
  await provisionNumber(stack.pool, TENANT, number);
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

  // The answered call in the historical report: its queue's row for this hour (offered 1, answered 1), charted.
  await page.goto('/#/reports');
  const reportRow = page
    .getByRole('table', { name: 'Queue report' })
    .getByRole('row', { name: new RegExp(String(queue.name)) });
  await expectText(reportRow.locator('td').nth(1), /^1$/);
  await expectText(reportRow.locator('td').nth(2), /^1$/);
  await page.getByRole('img', { name: 'Contacts and service level per interval' }).waitFor();
  await screenshot(page, 'reports');
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

test('agents, callbacks, tickets and an agent’s own state work from the console', async () => {
  const created = async (path: string, body: unknown) => {
    const res = await api(path, json('POST', body));
    if (res.status !== 201) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const queue = await created('/v1/queues', { name: unique('Back office') });
  const agent = await created('/v1/agents', {
    name: unique('agent 170'),
    endpoint: 'Local/170@synthetic-agent/n',
    queueIds: [queue.id],
  });
  const later = new Date(Date.now() + 3600_000).toISOString();
  // A number of this run's own: the tenant keeps earlier runs' callbacks.
  const callbackNumber = `+1212555${String(Date.now() % 10_000).padStart(4, '0')}`;
  const callback = await created('/v1/callbacks', {
    number: callbackNumber,
    queueId: queue.id,
    earliest: later,
  });
  const ticket = await created('/v1/tickets', { subject: unique('Broken phone'), description: 'It beeps.' });

  const ui = await openUi(browser, base, adminKey);
  const { page } = ui;

  await page.goto('/#/agents');
  const agentRow = page.getByRole('row', { name: new RegExp(String(agent.name)) });
  await expectText(agentRow, /offline/);
  await agentRow.getByLabel(`New state for ${agent.name}`).selectOption('available');
  await agentRow.getByRole('button', { name: 'Set' }).click();
  await expectText(agentRow, /available/);

  // The audit log shows both: the agent made through the API, its state set from this page (entries are
  // written just after each answer: wait for them before loading the page).
  for (let i = 0; i < 50; i++) {
    const made = await api(`/v1/audit?resourceType=agent&resourceId=${agent.id}`);
    if (made.body.entries.length >= 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.goto('/#/audit');
  await page.getByLabel('Resource').fill('agent');
  await page.getByRole('button', { name: 'Filter' }).click();
  const ours = page.getByRole('row', { name: new RegExp(String(agent.id)) });
  await expectText(ours.filter({ hasText: 'agent.state_set' }).first(), /"available"/);
  await expectText(
    ours.filter({ hasText: 'agent.created' }).first(),
    new RegExp(String(agent.name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
  );

  await page.goto('/#/callbacks');
  const callbackRow = page.getByRole('row', { name: new RegExp(`\\${callbackNumber}`) });
  await expectText(callbackRow, /scheduled|queued/);
  await callbackRow.getByRole('button', { name: 'Cancel callback' }).click();
  // Cancelled in place; gone from the pending list once its workflow has closed.
  for (const until = Date.now() + 15_000; ;) {
    const text = (await callbackRow.textContent({ timeout: 1000 }).catch(() => null)) ?? 'gone';
    if (/cancelled|gone/.test(text)) break;
    if (Date.now() > until) throw new Error(`callback not cancelled: ${text}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  expect((await api(`/v1/callbacks/${callback.id}`)).body.state).toBe('cancelled');

  await page.goto('/#/tickets');
  await page.getByRole('link', { name: String(ticket.fields.subject) }).click();
  await page.getByRole('heading', { name: String(ticket.fields.subject) }).waitFor();
  await expectText(page.locator('.sla-clocks'), /first response/);
  await page.getByLabel('Status').selectOption('open');
  await page.getByLabel('Comment').fill('Replaced the handset.');
  await page.getByRole('button', { name: 'Add comment' }).click();
  await expectText(page.locator('.ticket-timeline'), /Replaced the handset/);
  expect((await api(`/v1/tickets/${ticket.ticketId}`)).body.status).toBe('open');
  expectClean(ui);
  await page.context().close();

  // An agent key sees its own state, and changes it.
  const agentKey = await createApiKey(stack.pool, TENANT, Role.Agent, 'ui console agent');
  await stack.pool.query('update api_keys set agent_id = $1 where prefix = $2', [
    agent.id,
    agentKey.slice(0, 8),
  ]);
  const mine = await openUi(browser, base, agentKey);
  await mine.page.getByRole('link', { name: 'My state' }).click();
  await expectText(mine.page.getByRole('main'), /available/);
  await mine.page.getByLabel(`New state for ${agent.name}`).selectOption('not_ready');
  await mine.page.getByLabel('Reason').fill('lunch');
  await mine.page.getByRole('button', { name: 'Set' }).click();
  await expectText(mine.page.getByRole('main'), /not ready/);
  expectClean(mine);
  await mine.page.context().close();
}, 90_000);

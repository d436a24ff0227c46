import type { Browser, Locator, Page } from 'playwright-core';
import type { FlowCallStatus } from '../../workflows/flow-call/contract';
import { placeCall } from '../support/caller';
import { createApiKey } from '../support/keys';
import { ensureUiBuilt, launchBrowser, openUi, screenshot, type UiSession } from '../support/browser';
import { callWorkflow, startStack, type TestStack } from '../support/stack';
import { provisionNumber } from '../support/numbers';

// The flow designer on the real stack: a flow built by drag and drop in Chromium is simulated, published,
// assigned a number, and a real call into that number follows the path drawn on the canvas.
let stack: TestStack;
let browser: Browser;
let base: string;
let session: UiSession;

beforeAll(async () => {
  ensureUiBuilt();
  stack = await startStack({ gateway: true });
  browser = await launchBrowser();
  base = `http://${stack.config.API_HOST}:${stack.config.API_PORT}`;
  session = await openUi(browser, base, stack.config.ADMIN_API_KEY);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const nodeOnCanvas = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);

/** HTML5 drag from the palette to a point of the canvas, as a user does it. */
async function dragFromPalette(page: Page, title: string, x: number, y: number) {
  await page.getByRole('button', { name: `Add ${title} node` }).dragTo(page.locator('.canvas'), {
    targetPosition: { x, y },
  });
}

/** Drags from a node's exit handle to another node's target handle. */
async function connect(page: Page, from: string, exit: string, to: string) {
  const source = page.locator(`.react-flow__handle.source[data-nodeid="${from}"][data-handleid="${exit}"]`);
  const target = nodeOnCanvas(page, to).locator('.react-flow__handle.target');
  const a = (await source.boundingBox())!;
  const b = (await target.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

const edgeCount = (page: Page) => page.locator('.react-flow__edge').count();

async function expectEventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const textOf = async (locator: Locator) => (await locator.textContent()) ?? '';

test('build a flow by drag and drop, simulate, publish, assign a number, and a real call follows it', async () => {
  const { page } = session;
  const name = `Designer e2e ${Date.now()}`;
  await page.goto('/#/flows');
  await page.getByLabel('New flow name').fill(name);
  await page.getByRole('button', { name: 'Create flow' }).click();
  await nodeOnCanvas(page, 'hangup').waitFor();
  const flowId = page.url().split('/').pop()!;

  // Play TTS → menu → hang up, dropped from the palette where they should go.
  await dragFromPalette(page, 'Play', 60, 60);
  await nodeOnCanvas(page, 'play').waitFor();
  const form = page.getByRole('region', { name: 'Properties of play' });
  await form.getByLabel('prompt.kind', { exact: true }).selectOption('tts');
  // The tts text is required by the node type's zod schema: the field and the node say so.
  await form.getByLabel('prompt.text error').waitFor();
  expect(await nodeOnCanvas(page, 'play').locator('.problem-badge').count()).toBe(1);
  await form.getByLabel('prompt.text', { exact: true }).fill('Welcome to the designer test.');
  await expectEventually(
    async () => (await form.getByLabel('prompt.text error').count()) === 0,
    'the error to go',
  );
  await form.getByRole('button', { name: 'Set as start' }).click();
  expect(await textOf(nodeOnCanvas(page, 'play'))).toContain('start');

  await dragFromPalette(page, 'Menu', 540, 40);
  await nodeOnCanvas(page, 'menu').waitFor();
  const menu = page.getByRole('region', { name: 'Properties of menu' });
  await menu.getByLabel('prompt.kind', { exact: true }).selectOption('tts');
  await menu.getByLabel('prompt.text', { exact: true }).fill('Press 1 to end the call.');
  await menu.getByLabel('options.0.digit', { exact: true }).fill('x');
  await menu.getByLabel('options.0.digit error').waitFor();
  await menu.getByLabel('options.0.digit', { exact: true }).fill('1');
  await expectEventually(
    async () => (await menu.getByLabel('options.0.digit error').count()) === 0,
    'digit ok',
  );
  expect(await nodeOnCanvas(page, 'menu').locator('.flow-node-exit').allTextContents()).toEqual([
    'option:1',
    'invalid',
    'no_input',
  ]);

  // The hangup node the new flow started with sits in the middle, below the two.
  await page.getByRole('button', { name: 'Zoom to fit' }).click();
  await page.waitForTimeout(400);
  await connect(page, 'play', 'next', 'menu');
  await connect(page, 'menu', 'option:1', 'hangup');
  await connect(page, 'menu', 'invalid', 'hangup');
  await connect(page, 'menu', 'no_input', 'hangup');
  await expectEventually(async () => (await edgeCount(page)) === 4, 'four edges');
  expect(await nodeOnCanvas(page, 'menu').locator('.problem-badge').count()).toBe(0);

  // Undo takes the last edge away, redo brings it back: keys on the canvas, and the buttons.
  await page.locator('.react-flow__pane').click({ position: { x: 10, y: 10 } });
  await page.keyboard.press('Control+z');
  await expectEventually(async () => (await edgeCount(page)) === 3, 'undo');
  await page.keyboard.press('Control+Shift+z');
  await expectEventually(async () => (await edgeCount(page)) === 4, 'redo');
  await page.getByRole('button', { name: 'Undo' }).click();
  await expectEventually(async () => (await edgeCount(page)) === 3, 'undo button');
  await page.getByRole('button', { name: 'Redo' }).click();
  await expectEventually(async () => (await edgeCount(page)) === 4, 'redo button');

  await page.getByRole('button', { name: 'Save draft' }).click();
  await expectEventually(async () => /Saved draft/.test(await textOf(page.getByRole('status'))), 'saved');

  // Simulate: the caller presses 1 at the menu; the path lights up node by node.
  await page.getByRole('tab', { name: 'Simulate' }).click();
  await page.getByLabel('Simulated input 1').fill('1');
  await page.getByRole('button', { name: 'Run simulation' }).click();
  const simPath = page.getByRole('list', { name: 'Simulated path' }).locator('li');
  await expectEventually(async () => (await simPath.count()) === 3, 'the simulated path');
  expect(await simPath.allTextContents()).toEqual(['play → next', 'menu → option:1', 'hangup ']);
  for (const id of ['play', 'menu'])
    expect(await nodeOnCanvas(page, id).locator('.lit-visited').count()).toBe(1);
  expect(await nodeOnCanvas(page, 'hangup').locator('.lit-current').count()).toBe(1);
  // Only the exits taken light up: play's next and the menu's option:1, not its other two edges to hangup.
  expect(
    await page
      .locator('.react-flow__edge.lit-edge')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-id'))),
  ).toEqual(['play:next', 'menu:option:1']);
  expect(await textOf(page.getByRole('list', { name: 'Simulated prompts' }))).toContain(
    'Press 1 to end the call.',
  );
  expect(await textOf(page.getByLabel('Simulation ended'))).toContain('hangup_node');
  await screenshot(page, 'simulate');

  await page.getByRole('button', { name: 'Validate' }).click();
  await page.getByText('No problems: the flow can be published.').waitFor();
  await page.getByRole('button', { name: 'Publish' }).click();
  await expectEventually(
    async () => /Published version 1/.test(await textOf(page.getByRole('status'))),
    'published',
  );
  await page.getByRole('tab', { name: 'Versions' }).click();
  await page
    .getByRole('table', { name: 'Published versions' })
    .getByRole('cell', { name: 'v1', exact: true })
    .waitFor();
  await page.getByRole('tab', { name: 'Properties' }).click();
  await nodeOnCanvas(page, 'menu').click();
  await screenshot(page, 'designer');

  // Number → flow, in the UI.
  const number = `78${Date.now() % 100_000}`;
  await provisionNumber(stack.pool, stack.config.DEFAULT_TENANT, number);
  await page.goto('/#/numbers');
  await page.getByLabel('Number', { exact: true }).selectOption(number);
  await page.getByLabel('Flow', { exact: true }).selectOption({ label: name });
  await page.getByRole('button', { name: 'Assign number' }).click();
  await page.getByRole('table', { name: 'Numbers' }).getByText(number).waitFor();

  // A real call into the number takes the path the canvas showed.
  const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
    to: number,
    from: '5550177',
    digits: '1',
    delaySec: 3,
    holdSec: 30,
  });
  const result = (await (await callWorkflow(stack.temporal, call.workflowId)).result()) as FlowCallStatus;
  expect(result).toMatchObject({ flowId, version: 1 });
  const detail = await stack.api(`/v1/calls/${call.workflowId}`);
  expect(detail.status).toBe(200);
  expect(
    detail.body.live.path.map((s: { nodeId: string; exit?: string }) => `${s.nodeId}:${s.exit ?? ''}`),
  ).toEqual(['play:next', 'menu:option:1', 'hangup:']);

  expect(session.errors).toEqual([]);
  expect(session.serverErrors).toEqual([]);
}, 180_000);

test('versions: diff of two, canary rollout, rollback; copy/paste, delete, problems, 409, Twilio import', async () => {
  const { page } = session;
  const json = (body: unknown) => ({
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  const definition = {
    schemaVersion: 1,
    start: 'greet',
    nodes: [
      {
        id: 'greet',
        type: 'play',
        params: { prompt: { kind: 'tts', text: 'Version one' } },
        position: { x: 0, y: 0 },
      },
      { id: 'bye', type: 'hangup', params: {}, position: { x: 300, y: 0 } },
    ],
    edges: [{ from: 'greet', exit: 'next', to: 'bye' }],
    variables: [],
  };
  const created = await stack.api('/v1/flows', {
    method: 'POST',
    ...json({ name: `Versions ${Date.now()}`, definition }),
  });
  const flowId = created.body.id as string;
  expect((await stack.api(`/v1/flows/${flowId}/publish`, { method: 'POST' })).status).toBe(201);

  await page.goto(`/#/flows/${flowId}`);
  await nodeOnCanvas(page, 'greet').click();
  const form = page.getByRole('region', { name: 'Properties of greet' });
  await form.getByLabel('prompt.text', { exact: true }).fill('Version two');
  await page.getByRole('button', { name: 'Publish' }).click();
  await expectEventually(
    async () => /Published version 2/.test(await textOf(page.getByRole('status'))),
    'v2',
  );

  // Copy/paste makes an unconnected copy; Validate lists it, and clicking the problem selects the node.
  await nodeOnCanvas(page, 'greet').click();
  await page.keyboard.press('Control+c');
  await page.keyboard.press('Control+v');
  await nodeOnCanvas(page, 'play').waitFor();
  expect(await textOf(nodeOnCanvas(page, 'play'))).toContain('Version two');
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.getByRole('button', { name: 'Validate' }).click();
  const problems = page.getByRole('list', { name: 'Problems' });
  await problems.getByRole('button', { name: 'play' }).first().click();
  await expectEventually(
    async () => (await nodeOnCanvas(page, 'play').getAttribute('class'))!.includes('selected'),
    'focus',
  );
  await page.keyboard.press('Delete');
  await expectEventually(async () => (await nodeOnCanvas(page, 'play').count()) === 0, 'deleted');
  await page.getByRole('button', { name: 'Validate' }).click();
  await page.getByText('No problems: the flow can be published.').waitFor();

  // The diff of v1 and v2 names the changed prompt.
  await page.getByRole('tab', { name: 'Versions' }).click();
  const diff = page.getByRole('list', { name: 'Version diff' });
  await diff.waitFor();
  expect(await textOf(diff)).toContain('~ node greet: params.prompt');

  // Canary: v2 for a quarter of calls, v1 stable; then promote v2 and roll back to v1.
  await page.getByLabel('Stable version').selectOption('1');
  await page.getByLabel('Canary version').selectOption('2');
  await page.getByLabel('Canary percent').fill('25');
  await page.getByLabel('Canary callers').fill('+3314, 555010');
  await page.getByRole('button', { name: 'Save rollout' }).click();
  await expectEventually(
    async () => (await stack.api(`/v1/flows/${flowId}/rollout`)).body.rollout?.canary?.percent === 25,
    'canary rollout',
  );
  expect((await stack.api(`/v1/flows/${flowId}/rollout`)).body.rollout).toEqual({
    stable: 1,
    canary: { version: 2, percent: 25, callers: ['+3314', '555010'] },
  });
  await page.getByRole('button', { name: 'Make v2 stable' }).click();
  await page.getByRole('button', { name: 'Roll back to v1' }).click();
  await expectEventually(async () => {
    const { rollout } = (await stack.api(`/v1/flows/${flowId}/rollout`)).body;
    return rollout?.stable === 1 && !rollout.canary;
  }, 'rollback to v1');

  // The flow's own settings: a new name, and a declared secret variable with its initial value.
  await page.getByRole('tab', { name: 'Flow' }).click();
  const settings = page.getByRole('region', { name: 'Flow settings' });
  const renamed = `Versions renamed ${Date.now()}`;
  await settings.getByLabel('Flow name').fill(renamed);
  await settings.getByRole('button', { name: 'Add to variables' }).click();
  await settings.getByLabel('variables.0.name', { exact: true }).fill('9lives');
  // The definition's own schema judges the name, inline.
  await settings.getByRole('alert', { name: 'variables.0.name error' }).waitFor();
  await settings.getByLabel('variables.0.name', { exact: true }).fill('pin');
  await settings.getByLabel('variables.0.initial', { exact: true }).fill('1234');
  await settings.getByLabel('variables.0.secret', { exact: true }).check();
  await page.getByRole('button', { name: 'Save draft' }).click();
  await expectEventually(async () => {
    const saved = (await stack.api(`/v1/flows/${flowId}`)).body;
    return saved.name === renamed && saved.definition.variables[0]?.secret === true;
  }, 'flow settings saved');
  expect((await stack.api(`/v1/flows/${flowId}`)).body.definition.variables).toEqual([
    { name: 'pin', initial: '1234', secret: true },
  ]);

  // Someone else saves meanwhile: this editor's save is refused with 409 and says so.
  const current = (await stack.api(`/v1/flows/${flowId}`)).body;
  const theirs = { name: current.name, version: current.version, definition: current.definition };
  expect((await stack.api(`/v1/flows/${flowId}`, { method: 'PUT', ...json(theirs) })).status).toBe(200);
  await page.getByRole('tab', { name: 'Properties' }).click();
  await nodeOnCanvas(page, 'greet').click();
  await form.getByLabel('prompt.text', { exact: true }).fill('Version three');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await expectEventually(
    async () => /someone else saved this flow/.test(await textOf(page.getByRole('alert').first())),
    'the 409 message',
  );

  // Twilio Studio import from a file, with its report; then the flow is deleted from the list.
  const studio = {
    description: 'Imported line',
    states: [
      {
        name: 'Trigger',
        type: 'trigger',
        transitions: [{ next: 'hello', event: 'incomingCall' }],
        properties: {},
      },
      {
        name: 'hello',
        type: 'say-play',
        transitions: [{ next: 'sms', event: 'audioComplete' }],
        properties: { say: 'Hello from Studio', loop: 1 },
      },
      { name: 'sms', type: 'send-message', transitions: [], properties: { body: 'hi' } },
    ],
  };
  await page.goto('/#/flows');
  await page.getByLabel('Import Twilio Studio JSON').setInputFiles({
    name: `studio-${Date.now()}.json`,
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(studio)),
  });
  const report = page.getByLabel('Import report');
  await report.waitFor();
  expect(await textOf(report)).toMatch(/sms.*send-message.*unmapped/);
  const importedName = (await textOf(report.getByRole('link'))).trim();
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: `Delete flow ${importedName}` }).click();
  await expectEventually(
    async () =>
      (await page
        .getByRole('table', { name: 'Flows' })
        .getByRole('link', { name: importedName, exact: true })
        .count()) === 0,
    'the imported flow to go',
  );

  expect(session.errors).toEqual([]);
  expect(session.serverErrors).toEqual([]);
});

test('a TTS prompt is previewed as audio; the endpoint checks its body and role', async () => {
  const post = (body: unknown, key?: string) =>
    fetch(`${base}/v1/recordings/tts-preview`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key ?? stack.config.ADMIN_API_KEY}`,
      },
      body: JSON.stringify(body),
    });
  const ok = await post({ text: 'Hello there', voice: 'en-us' });
  expect(ok.status).toBe(200);
  expect(ok.headers.get('content-type')).toMatch(/audio\/wav/);
  const wav = Buffer.from(await ok.arrayBuffer());
  expect(wav.subarray(0, 4).toString()).toBe('RIFF');
  expect(wav.length).toBeGreaterThan(8000);
  const empty = await post({ text: '' });
  expect(empty.status).toBe(400);
  expect(((await empty.json()) as { message: string }).message).toMatch(/text/);
  const badVoice = await post({ text: 'Hi', voice: 'zz-nope' });
  expect(badVoice.status).toBe(400);
  expect(((await badVoice.json()) as { message: string }).message).toMatch(/voice/);
  const agent = await createApiKey(stack.pool, stack.config.DEFAULT_TENANT, 'agent');
  expect((await post({ text: 'Hi' }, agent)).status).toBe(403);

  // In the editor: the Preview button of a tts prompt plays it.
  const { page } = session;
  await page.goto('/#/flows');
  await page.getByLabel('New flow name').fill(`Preview ${Date.now()}`);
  await page.getByRole('button', { name: 'Create flow' }).click();
  await nodeOnCanvas(page, 'hangup').waitFor();
  await page.getByRole('button', { name: 'Add Play node' }).click();
  const form = page.getByRole('region', { name: 'Properties of play' });
  await form.getByLabel('prompt.kind', { exact: true }).selectOption('tts');
  await form.getByLabel('prompt.text', { exact: true }).fill('This is a preview.');
  await form.getByRole('button', { name: 'Preview prompt' }).click();
  const audio = form.getByLabel('Preview audio of prompt');
  await audio.waitFor();
  expect(await audio.getAttribute('src')).toMatch(/^blob:/);
  expect(session.errors).toEqual([]);
  expect(session.serverErrors).toEqual([]);
});

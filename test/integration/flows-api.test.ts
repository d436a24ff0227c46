import type { FastifyInstance } from 'fastify';
import { buildGateway } from '../../gateway/app';
import { ensureBootstrap } from '../../lib/api-keys';
import { createApiKey } from '../support/keys';
import { loadConfig } from '../../lib/config';
import { createPool, migrate } from '../../lib/db';

const config = loadConfig();
const pool = createPool(config.DATABASE_URL, 2);
let app: FastifyInstance;
const keys: Record<string, string> = { admin: config.ADMIN_API_KEY };

beforeAll(async () => {
  await migrate(pool);
  await ensureBootstrap(pool, config.DEFAULT_TENANT, config.ADMIN_API_KEY, config.OPERATOR_API_KEY);
  keys.supervisor = await createApiKey(pool, 'default', 'supervisor');
  keys.otherAdmin = await createApiKey(pool, 'other', 'admin');
  app = await buildGateway({ config, logger: false });
});
afterAll(async () => {
  await app?.close();
  await pool.end();
});

const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, key = keys.admin!) =>
  app.inject({ method, url, payload: body as object, headers: { authorization: `Bearer ${key}` } });

const definition = (withExit = true) => ({
  schemaVersion: 1,
  start: 'hello',
  nodes: [
    { id: 'hello', type: 'play', params: { prompt: { kind: 'sound', name: 'hello-world' } } },
    { id: 'bye', type: 'hangup' },
  ],
  edges: withExit ? [{ from: 'hello', exit: 'next', to: 'bye' }] : [],
});
const unique = (name: string) => `${name} ${Date.now()} ${Math.random().toString(36).slice(2, 6)}`;

test('create, read, update with the version it started from, and a stale update is 409', async () => {
  const created = await call('POST', '/v1/flows', { name: unique('Main'), definition: definition() });
  expect(created.statusCode).toBe(201);
  const flow = created.json();
  expect(flow).toMatchObject({ version: 1, latestPublished: null });

  const updated = await call('PUT', `/v1/flows/${flow.id}`, {
    name: flow.name,
    definition: definition(),
    version: 1,
  });
  expect(updated.statusCode).toBe(200);
  expect(updated.json().version).toBe(2);

  const stale = await call('PUT', `/v1/flows/${flow.id}`, {
    name: flow.name,
    definition: definition(),
    version: 1,
  });
  expect(stale.statusCode).toBe(409);
  expect(stale.json().message).toMatch(/version 2, not 1/);
  expect((await call('GET', `/v1/flows/${flow.id}`)).json().version).toBe(2);
});

test('bad input is 400 naming the field; a duplicate name is 409; a non-UUID id is 400', async () => {
  const bad = await call('POST', '/v1/flows', {
    name: '',
    definition: { ...definition(), schemaVersion: 7 },
  });
  expect(bad.statusCode).toBe(400);
  expect(bad.json().fields.map((f: { field: string }) => f.field)).toEqual(
    expect.arrayContaining(['body.name', 'body.definition.schemaVersion']),
  );
  const name = unique('Twice');
  expect((await call('POST', '/v1/flows', { name, definition: definition() })).statusCode).toBe(201);
  expect((await call('POST', '/v1/flows', { name, definition: definition() })).statusCode).toBe(409);
  expect((await call('GET', '/v1/flows/not-a-uuid')).json().fields[0].field).toBe('params.id');
});

test('validate lists the problems; publish refuses an invalid draft with 422 and numbers valid ones', async () => {
  const flow = (
    await call('POST', '/v1/flows', { name: unique('Publish'), definition: definition(false) })
  ).json();
  const report = (await call('POST', `/v1/flows/${flow.id}/validate`)).json();
  expect(report.valid).toBe(false);
  expect(report.problems).toEqual(
    expect.arrayContaining([expect.objectContaining({ code: 'missing_exit', nodeId: 'hello' })]),
  );
  const refused = await call('POST', `/v1/flows/${flow.id}/publish`);
  expect(refused.statusCode).toBe(422);
  expect(refused.json().problems.length).toBeGreaterThan(0);

  await call('PUT', `/v1/flows/${flow.id}`, { name: flow.name, definition: definition(), version: 1 });
  expect((await call('POST', `/v1/flows/${flow.id}/publish`)).json()).toEqual({ number: 1 });
  expect((await call('POST', `/v1/flows/${flow.id}/publish`)).json()).toEqual({ number: 2 });
  const versions = (await call('GET', `/v1/flows/${flow.id}/versions`)).json().versions;
  expect(versions.map((v: { number: number }) => v.number)).toEqual([2, 1]);
  expect((await call('GET', `/v1/flows/${flow.id}`)).json().latestPublished).toBe(2);
});

test('publishing a flow whose subflow calls it back is refused', async () => {
  const a = (await call('POST', '/v1/flows', { name: unique('A'), definition: definition() })).json();
  const callsA = {
    schemaVersion: 1,
    start: 'sub',
    nodes: [
      { id: 'sub', type: 'subflow', params: { flowId: a.id } },
      { id: 'end', type: 'hangup' },
    ],
    edges: [{ from: 'sub', exit: 'next', to: 'end' }],
  };
  const b = (await call('POST', '/v1/flows', { name: unique('B'), definition: callsA })).json();
  // A is not published, so the API refuses B (unknown_subflow): seed B's version to build the cycle.
  await pool.query('insert into flow_versions (flow_id, number, definition) values ($1, 1, $2)', [
    b.id,
    callsA,
  ]);
  const aCallsB = {
    ...callsA,
    nodes: [{ id: 'sub', type: 'subflow', params: { flowId: b.id } }, callsA.nodes[1]],
  };
  await call('PUT', `/v1/flows/${a.id}`, { name: a.name, definition: aCallsB, version: 1 });
  const refused = await call('POST', `/v1/flows/${a.id}/publish`);
  expect(refused.statusCode).toBe(422);
  expect(refused.json().problems).toEqual(
    expect.arrayContaining([expect.objectContaining({ code: 'subflow_recursion', nodeId: 'sub' })]),
  );
});

test('a flow that plays a missing recording or calls an unpublished subflow is refused, every problem named', async () => {
  const draftOnly = (
    await call('POST', '/v1/flows', { name: unique('Draft'), definition: definition() })
  ).json();
  const flow = (
    await call('POST', '/v1/flows', {
      name: unique('Refs'),
      definition: {
        schemaVersion: 1,
        start: 'hello',
        nodes: [
          {
            id: 'hello',
            type: 'menu',
            params: {
              prompt: { kind: 'sound', name: 'beep' },
              options: [{ digit: '1' }],
              invalidPrompt: { kind: 'recording', recordingId: '44444444-4444-4444-8444-444444444444' },
            },
          },
          { id: 'sub', type: 'subflow', params: { flowId: draftOnly.id } },
          { id: 'end', type: 'hangup' },
        ],
        edges: [
          { from: 'hello', exit: 'option:1', to: 'sub' },
          { from: 'hello', exit: 'invalid', to: 'end' },
          { from: 'hello', exit: 'no_input', to: 'end' },
          { from: 'sub', exit: 'next', to: 'end' },
        ],
      },
    })
  ).json();
  const refused = await call('POST', `/v1/flows/${flow.id}/publish`);
  expect(refused.statusCode).toBe(422);
  expect(refused.json().problems).toEqual([
    expect.objectContaining({
      code: 'unknown_recording',
      nodeId: 'hello',
      path: 'nodes.0.params.invalidPrompt.recordingId',
    }),
    expect.objectContaining({ code: 'unknown_subflow', nodeId: 'sub', path: 'nodes.1.params.flowId' }),
  ]);
});

test('a callback offer into a queue that does not exist keeps the flow from being published', async () => {
  const withCallback = {
    ...definition(),
    nodes: [
      {
        id: 'hello',
        type: 'callback',
        params: {
          prompt: { kind: 'sound', name: 'beep' },
          queueId: '33333333-3333-4333-8333-333333333333',
        },
      },
      { id: 'bye', type: 'hangup' },
    ],
    edges: [
      { from: 'hello', exit: 'accepted', to: 'bye' },
      { from: 'hello', exit: 'declined', to: 'bye' },
    ],
  };
  const flow = (
    await call('POST', '/v1/flows', { name: unique('Callback'), definition: withCallback })
  ).json();
  const refused = await call('POST', `/v1/flows/${flow.id}/publish`);
  expect(refused.statusCode).toBe(422);
  expect(refused.json().problems).toEqual([
    expect.objectContaining({ code: 'unknown_queue', nodeId: 'hello' }),
  ]);
});

test('roles and tenants: a supervisor reads but cannot publish; another tenant sees nothing', async () => {
  const flow = (await call('POST', '/v1/flows', { name: unique('Scoped'), definition: definition() })).json();
  expect((await call('GET', `/v1/flows/${flow.id}`, undefined, keys.supervisor)).statusCode).toBe(200);
  expect((await call('POST', `/v1/flows/${flow.id}/publish`, undefined, keys.supervisor)).statusCode).toBe(
    403,
  );
  expect((await call('GET', `/v1/flows/${flow.id}`, undefined, keys.otherAdmin)).statusCode).toBe(404);
  const theirs = (await call('GET', '/v1/flows', undefined, keys.otherAdmin)).json().flows;
  expect(theirs.map((f: { id: string }) => f.id)).not.toContain(flow.id);
});

test('delete hides the flow; its published versions stay in the database', async () => {
  const flow = (await call('POST', '/v1/flows', { name: unique('Gone'), definition: definition() })).json();
  await call('POST', `/v1/flows/${flow.id}/publish`);
  expect((await call('DELETE', `/v1/flows/${flow.id}`)).statusCode).toBe(204);
  expect((await call('GET', `/v1/flows/${flow.id}`)).statusCode).toBe(404);
  expect((await call('DELETE', `/v1/flows/${flow.id}`)).statusCode).toBe(404);
  const { rows } = await pool.query('select count(*)::int as n from flow_versions where flow_id = $1', [
    flow.id,
  ]);
  expect(rows[0].n).toBe(1);
});

test('rollout: stable and canary must be published versions; replacing the rule rolls back in one request', async () => {
  const flow = (
    await call('POST', '/v1/flows', { name: unique('Rollout'), definition: definition() })
  ).json();
  expect((await call('GET', `/v1/flows/${flow.id}/rollout`)).json()).toEqual({ rollout: null });
  const unpublished = await call('PUT', `/v1/flows/${flow.id}/rollout`, { stable: 1 });
  expect(unpublished.statusCode).toBe(400);
  expect(unpublished.json().fields).toEqual([
    { field: 'body.stable', message: 'version 1 is not published' },
  ]);

  await call('POST', `/v1/flows/${flow.id}/publish`);
  await call('POST', `/v1/flows/${flow.id}/publish`);
  const canary = await call('PUT', `/v1/flows/${flow.id}/rollout`, {
    stable: 1,
    canary: { version: 2, percent: 5 },
  });
  expect(canary.json()).toEqual({ rollout: { stable: 1, canary: { version: 2, percent: 5, callers: [] } } });
  const missing = await call('PUT', `/v1/flows/${flow.id}/rollout`, {
    stable: 1,
    canary: { version: 9, percent: 5 },
  });
  expect(missing.json().fields[0].field).toBe('body.canary.version');
  const tooMuch = await call('PUT', `/v1/flows/${flow.id}/rollout`, {
    stable: 1,
    canary: { version: 2, percent: 500 },
  });
  expect(tooMuch.json().fields[0].field).toBe('body.canary.percent');

  await call('PUT', `/v1/flows/${flow.id}/rollout`, { stable: 1 });
  expect((await call('GET', `/v1/flows/${flow.id}/rollout`)).json()).toEqual({ rollout: { stable: 1 } });
});

test('numbers: the operator provisions, the tenant routes; others learn nothing; an unknown flow is 400 naming flowId', async () => {
  const operator = config.OPERATOR_API_KEY!;
  const flow = (
    await call('POST', '/v1/flows', { name: unique('Numbered'), definition: definition() })
  ).json();
  const number = `+1555${Date.now() % 10_000_000}`;
  // Not provisioned yet: the tenant cannot take it.
  const early = await call('POST', '/v1/numbers', { number, flowId: flow.id });
  expect(early.statusCode).toBe(400);
  expect(early.json().fields[0].field).toBe('body.number');
  // Only the operator provisions, and the operator reads no tenant data.
  expect((await call('POST', '/v1/platform/numbers', { number, tenantId: 'default' })).statusCode).toBe(403);
  expect((await call('GET', '/v1/flows', undefined, operator)).statusCode).toBe(403);
  const provisioned = await call('POST', '/v1/platform/numbers', { number, tenantId: 'default' }, operator);
  expect(provisioned.statusCode).toBe(201);
  expect(provisioned.json()).toMatchObject({ number, tenantId: 'default', flowId: null });
  expect(
    (await call('POST', '/v1/platform/numbers', { number, tenantId: 'other' }, operator)).statusCode,
  ).toBe(409);
  const noTenant = await call(
    'POST',
    '/v1/platform/numbers',
    { number: '5550002', tenantId: 'nobody-here' },
    operator,
  );
  expect(noTenant.statusCode).toBe(400);
  expect(noTenant.json().fields[0].field).toBe('body.tenantId');

  const assigned = await call('POST', '/v1/numbers', { number, flowId: flow.id });
  expect(assigned.statusCode).toBe(201);
  expect((await call('GET', '/v1/numbers')).json().numbers).toEqual(
    expect.arrayContaining([expect.objectContaining({ number, flowId: flow.id })]),
  );
  expect((await call('GET', '/v1/numbers/provisioned')).json().numbers).toEqual(
    expect.arrayContaining([expect.objectContaining({ number, flowId: flow.id })]),
  );
  expect((await call('POST', '/v1/numbers', { number, flowId: flow.id })).statusCode).toBe(409);
  // Another tenant gets the same answer for a number someone else holds as for one nobody holds.
  const otherFlow = (
    await call('POST', '/v1/flows', { name: unique('Theirs'), definition: definition() }, keys.otherAdmin)
  ).json();
  const theirs = await call('POST', '/v1/numbers', { number, flowId: otherFlow.id }, keys.otherAdmin);
  const nobodys = await call(
    'POST',
    '/v1/numbers',
    { number: '+15550000003', flowId: otherFlow.id },
    keys.otherAdmin,
  );
  expect(theirs.statusCode).toBe(400);
  expect(nobodys.statusCode).toBe(400);
  const said = (res: typeof theirs, asked: string) =>
    JSON.stringify(res.json().fields).replaceAll(asked, '<number>');
  expect(said(theirs, number)).toEqual(said(nobodys, '+15550000003'));
  expect(
    (await call('GET', '/v1/numbers/provisioned', undefined, keys.otherAdmin)).json().numbers,
  ).not.toEqual(expect.arrayContaining([expect.objectContaining({ number })]));

  const unknown = await call('POST', '/v1/numbers', { number, flowId: otherFlow.id });
  expect(unknown.statusCode).toBe(400);
  expect(unknown.json().fields[0].field).toBe('body.flowId');
  expect(
    (await call('POST', '/v1/numbers', { number: '555-0001', flowId: flow.id })).json().fields[0].field,
  ).toBe('body.number');
  // Released only once the tenant stops routing it.
  const release = () =>
    call('DELETE', `/v1/platform/numbers/${encodeURIComponent(number)}`, undefined, operator);
  expect((await release()).statusCode).toBe(409);
  expect((await call('DELETE', `/v1/numbers/${assigned.json().id}`)).statusCode).toBe(204);
  expect((await release()).statusCode).toBe(204);
  expect((await release()).statusCode).toBe(404);
});

test('the operator creates a tenant; its admin key is shown once and works', async () => {
  const operator = config.OPERATOR_API_KEY!;
  const id = `t-${Date.now()}`;
  const created = await call('POST', '/v1/platform/tenants', { id, name: 'Acme' }, operator);
  expect(created.statusCode).toBe(201);
  expect((await call('POST', '/v1/platform/tenants', { id, name: 'Again' }, operator)).statusCode).toBe(409);
  const bad = await call('POST', '/v1/platform/tenants', { id: 'Not Valid', name: 'x' }, operator);
  expect(bad.json().fields[0].field).toBe('body.id');
  const me = await call('GET', '/v1/me', undefined, created.json().adminKey);
  expect(me.json()).toMatchObject({ tenantId: id, role: 'admin' });
  const list = await call('GET', '/v1/platform/tenants', undefined, operator);
  expect(list.json().tenants).toEqual(
    expect.arrayContaining([expect.objectContaining({ id, name: 'Acme' })]),
  );
  expect((await call('GET', '/v1/platform/tenants')).statusCode).toBe(403);
});

test('a gather pattern runs in linear time: a catastrophic one is simulated at once, a backreference is refused', async () => {
  const withPattern = (pattern: string) => ({
    schemaVersion: 1,
    start: 'ask',
    nodes: [
      { id: 'ask', type: 'gather', params: { variable: 'code', maxDigits: 32, pattern, retries: 0 } },
      { id: 'bye', type: 'hangup' },
    ],
    edges: ['valid', 'invalid', 'no_input'].map((exit) => ({ from: 'ask', exit, to: 'bye' })),
  });
  // A draft may hold it; validation names it and publishing refuses it.
  const draft = await call('POST', '/v1/flows', {
    name: unique('Backreference'),
    definition: withPattern('^(1)\\1$'),
  });
  expect(draft.statusCode).toBe(201);
  const checked = await call('POST', `/v1/flows/${draft.json().id}/validate`);
  expect(checked.json().problems).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        nodeId: 'ask',
        path: expect.stringMatching(/params\.pattern$/),
        message: expect.stringMatching(/RE2/),
      }),
    ]),
  );
  expect((await call('POST', `/v1/flows/${draft.json().id}/publish`)).statusCode).toBe(422);

  // With JavaScript's backtracking RegExp this froze the gateway for every tenant.
  const flow = await call('POST', '/v1/flows', {
    name: unique('Catastrophic'),
    definition: withPattern('^(\\d|\\d|\\d|\\d)*$'),
  });
  expect(flow.statusCode).toBe(201);
  const simulated = await call('POST', `/v1/flows/${flow.json().id}/simulate`, {
    digits: [`${'1'.repeat(30)}*`],
  });
  expect(simulated.statusCode).toBe(200);
  expect(
    simulated.json().path.map((s: { nodeId: string; exit?: string }) => `${s.nodeId}:${s.exit}`),
  ).toContain('ask:invalid');
}, 60_000);

test('a supervisor reads a flow without its secrets: secret initial values and http headers are redacted', async () => {
  const withSecrets = {
    schemaVersion: 1,
    start: 'lookup',
    nodes: [
      {
        id: 'lookup',
        type: 'http',
        params: { url: 'https://crm.example.com/x', headers: { Authorization: 'Bearer crm-token-123' } },
      },
      { id: 'bye', type: 'hangup' },
    ],
    edges: ['success', 'error', 'timeout'].map((exit) => ({ from: 'lookup', exit, to: 'bye' })),
    variables: [
      { name: 'apiKey', initial: 'k-456-secret', secret: true },
      { name: 'greeting', initial: 'hello', secret: false },
    ],
  };
  const flow = (await call('POST', '/v1/flows', { name: unique('Secrets'), definition: withSecrets })).json();
  expect((await call('POST', `/v1/flows/${flow.id}/publish`)).statusCode).toBe(201);
  for (const url of [`/v1/flows/${flow.id}`, `/v1/flows/${flow.id}/versions`]) {
    const supervisor = await call('GET', url, undefined, keys.supervisor);
    expect(supervisor.statusCode).toBe(200);
    expect(supervisor.body).not.toContain('crm-token-123');
    expect(supervisor.body).not.toContain('k-456-secret');
    expect(supervisor.body).toContain('hello');
    const admin = await call('GET', url);
    expect(admin.body).toContain('crm-token-123');
    expect(admin.body).toContain('k-456-secret');
  }
  const seen = (await call('GET', `/v1/flows/${flow.id}`, undefined, keys.supervisor)).json().definition;
  expect(seen.nodes[0].params.headers).toEqual({ Authorization: '***' });
  expect(seen.variables).toEqual(
    expect.arrayContaining([expect.objectContaining({ name: 'apiKey', initial: '***', secret: true })]),
  );
});

import type { FastifyInstance } from 'fastify';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildGateway } from '../../gateway/app';
import { Role } from '../../lib/api-keys';
import { placeCall } from '../support/caller';
import { createApiKey } from '../support/keys';
import { provisionNumber } from '../support/numbers';
import { startStack, type TestStack } from '../support/stack';
import { FIXTURE_KINDS, matrixCases, type Fixtures, type MatrixCase } from '../support/tenant-matrix-cases';

/**
 * Every route × every role × two tenants, generated from the route table (the OpenAPI document, whose
 * operations carry their roles as `x-roles`): a role outside a route's rights gets 403; tenant B, in every
 * role the route allows, gets 404 for each of tenant A's objects (calls, flows, versions, numbers,
 * recordings, queues, agents, callbacks, campaigns, contacts, tickets, webhooks, deliveries, monitor
 * sessions) and finds none of them in its lists; and afterwards every object of A is still there, unchanged.
 * A route the cases file does not know fails the test, so a new route cannot be forgotten.
 */
const run = promisify(execFile);
let stack: TestStack;
let app: FastifyInstance;
let fixtures: Fixtures;
const TENANT_B = `matrix-b-${Date.now().toString(36)}`;
const ROLES = Object.values(Role);
const keysA: Record<string, string> = {};
const keysB: Record<string, string> = {};

interface Operation {
  method: string;
  path: string;
  roles: readonly string[];
}

async function routeTable(): Promise<Operation[]> {
  const doc = app.swagger() as {
    paths: Record<string, Record<string, { 'x-roles'?: string[] }>>;
  };
  const ops: Operation[] = [];
  for (const [p, methods] of Object.entries(doc.paths)) {
    if (!p.startsWith('/v1/')) continue;
    for (const [method, op] of Object.entries(methods)) {
      ops.push({ method: method.toUpperCase(), path: p, roles: op['x-roles'] ?? [] });
    }
  }
  return ops;
}

const keyOf = (op: Operation) => `${op.method} ${op.path}`;

function request(op: Operation, c: MatrixCase, key: string) {
  const params = c.params?.(fixtures) ?? {};
  const url = op.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
    encodeURIComponent(params[name] ?? 'missing'),
  );
  const body = c.body?.(fixtures);
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (c.contentType) headers['content-type'] = c.contentType;
  return app.inject({
    method: op.method as 'GET',
    url: `${url}${c.query ? `?${c.query(fixtures)}` : ''}`,
    headers,
    ...(body === undefined ? {} : { payload: body as string }),
  });
}

async function wav(): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'matrix-'));
  try {
    const file = path.join(dir, 'tone.wav');
    await run('sox', ['-n', '-r', '8000', '-c', '1', file, 'synth', '0.5', 'sine', '440']);
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Tenant A's objects of every kind, made through the API as A's admin would (and one real call). */
async function makeFixtures(): Promise<Fixtures> {
  const admin = keysA.admin!;
  const api = async (method: string, url: string, payload?: unknown, contentType?: string) => {
    const res = await app.inject({
      method: method as 'POST',
      url,
      headers: {
        authorization: `Bearer ${admin}`,
        ...(contentType ? { 'content-type': contentType } : {}),
      },
      ...(payload === undefined ? {} : { payload: payload as string }),
    });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.statusCode === 204 ? undefined : res.json();
  };
  const tag = Date.now().toString(36);
  const flow = await api('POST', '/v1/flows', {
    name: `matrix ${tag}`,
    definition: {
      schemaVersion: 1,
      start: 'menu',
      nodes: [
        {
          id: 'menu',
          type: 'menu',
          params: {
            prompt: { kind: 'sound', name: 'vm-enter-num-to-call' },
            options: [{ digit: '1' }],
            timeoutMs: 60_000,
            retries: 5,
          },
        },
        { id: 'bye', type: 'hangup' },
      ],
      edges: ['option:1', 'invalid', 'no_input'].map((exit) => ({ from: 'menu', exit, to: 'bye' })),
    },
  });
  await api('POST', `/v1/flows/${flow.id}/publish`, {});
  const dialed = `3${Date.now() % 10_000_000}`;
  await provisionNumber(stack.pool, stack.config.DEFAULT_TENANT, dialed);
  const number = await api('POST', '/v1/numbers', { number: dialed, flowId: flow.id });
  const recording = await api('POST', `/v1/recordings?name=matrix-${tag}`, await wav(), 'audio/wav');
  const queue = await api('POST', '/v1/queues', { name: `matrix ${tag}` });
  const agent = await api('POST', '/v1/agents', {
    name: `matrix ${tag}`,
    endpoint: 'Local/170@synthetic-agent/n',
    queueIds: [queue.id],
  });
  const callback = await api('POST', '/v1/callbacks', {
    number: '5550170',
    queueId: queue.id,
    earliest: new Date(Date.now() + 86_400_000).toISOString(),
  });
  const campaign = await api('POST', '/v1/campaigns', {
    name: `matrix ${tag}`,
    target: { kind: 'flow', flowId: flow.id },
    callerId: '+12125550100',
    window: { weekly: [{ days: ['mon'], open: '09:00', close: '10:00' }] },
  });
  await api('POST', `/v1/campaigns/${campaign.id}/contacts?country=US`, 'phone\n+12125550171\n', 'text/csv');
  const ticket = await api('POST', '/v1/tickets', { subject: `matrix ${tag}` });
  await api('POST', `/v1/tickets/${ticket.ticketId}/comments`, { body: 'first' });
  const dnc = `+1212555${String(Date.now() % 10_000).padStart(4, '0')}`;
  await api('POST', '/v1/dnc', { numbers: [dnc] });
  // Created in the database: A's webhook must not reach any address, and its queue has no worker.
  const webhook = await stack.pool.query<{ id: string }>(
    `insert into webhooks (tenant_id, url, event_types, secret, task_queue)
     values ($1, 'http://127.0.0.1:9/matrix', '{}', 'secret', 'none') returning id`,
    [stack.config.DEFAULT_TENANT],
  );
  const call = await placeCall(stack.ari, stack.config.ARI_APP, stack.config.ASTERISK_NODE, {
    to: dialed,
    from: '5550172',
    holdSec: 300,
  });
  // The call is A's once its workflow carries the tenant: wait until A's admin sees it.
  const end = Date.now() + 20_000;
  while (
    (
      await request(
        { method: 'GET', path: '/v1/calls/{id}', roles: [] },
        {
          cross: 'own',
          params: () => ({ id: call.workflowId }),
        },
        admin,
      )
    ).statusCode !== 200
  ) {
    if (Date.now() > end) throw new Error('the call never showed up for its tenant');
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    flowId: flow.id,
    numberId: number.id,
    number: dialed,
    recordingId: recording.id,
    queueId: queue.id,
    agentId: agent.id,
    callbackId: callback.id,
    campaignId: campaign.id,
    ticketId: ticket.ticketId,
    webhookId: webhook.rows[0]!.id,
    dnc,
    callId: call.workflowId,
    monitorSessionId: randomBytes(6).toString('hex'),
  };
}

beforeAll(async () => {
  stack = await startStack();
  app = await buildGateway({ config: stack.config, logger: false });
  for (const role of ROLES) {
    keysA[role] = await createApiKey(stack.pool, stack.config.DEFAULT_TENANT, role, `matrix ${role}`);
    keysB[role] = await createApiKey(stack.pool, TENANT_B, role, `matrix ${role}`);
  }
  fixtures = await makeFixtures();
}, 120_000);
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

test('every route of the table has a case, and every case a route', async () => {
  const ops = (await routeTable()).map(keyOf).sort();
  expect(ops.length).toBeGreaterThan(70);
  expect(Object.keys(matrixCases).sort()).toEqual(ops);
  // Every object kind the issue names is covered by the fixtures the cases use.
  expect(Object.keys(fixtures).sort()).toEqual([...FIXTURE_KINDS].sort());
});

test('each role outside a route’s rights is 403, in both tenants', async () => {
  const wrong: string[] = [];
  for (const op of await routeTable()) {
    const c = matrixCases[keyOf(op)];
    if (!c) continue;
    expect(op.roles.length).toBeGreaterThan(0);
    for (const role of ROLES.filter((r) => !op.roles.includes(r))) {
      for (const keys of [keysA, keysB]) {
        const res = await request(op, c, keys[role]!);
        if (res.statusCode !== 403) wrong.push(`${keyOf(op)} as ${role}: ${res.statusCode}`);
      }
    }
  }
  expect(wrong).toEqual([]);
});

test('tenant B reaches none of tenant A’s objects, in any role a route allows', async () => {
  const wrong: string[] = [];
  const idsOfA = Object.values(fixtures);
  for (const op of await routeTable()) {
    const c = matrixCases[keyOf(op)];
    if (!c || c.cross === 'platform' || c.cross === 'stream') continue;
    for (const role of op.roles) {
      const res = await request(op, c, keysB[role]!);
      const where = `${keyOf(op)} as B's ${role}: ${res.statusCode}`;
      if (res.statusCode >= 500) wrong.push(`${where} ${res.body.slice(0, 200)}`);
      else if (c.ownAgentOnly && role === Role.Agent) {
        if (res.statusCode !== 403) wrong.push(where);
      } else if (c.cross === 'not-found' && res.statusCode !== 404) wrong.push(where);
      else if (c.cross === 'refused' && (res.statusCode < 400 || res.statusCode === 403)) wrong.push(where);
      else if (c.cross === 'absent' && res.statusCode !== 200) wrong.push(where);
      // What B sent (the ids in the path, a body naming A's objects) may come back in the error.
      const sent = [...Object.values(c.params?.(fixtures) ?? {}), ...(c.echoes?.(fixtures) ?? [])];
      const leaked = idsOfA.filter((id) => res.body.includes(id) && !sent.includes(id));
      if (leaked.length) wrong.push(`${where} shows A's ${leaked.join(', ')}`);
    }
  }
  expect(wrong).toEqual([]);
});

test('afterwards every object of A is still there for A', async () => {
  const missing: string[] = [];
  for (const op of await routeTable()) {
    const c = matrixCases[keyOf(op)];
    if (op.method !== 'GET' || !c?.params || c.cross === 'platform') continue;
    const role = op.roles.includes(Role.Admin) ? Role.Admin : op.roles[0]!;
    const res = await request(op, c, keysA[role]!);
    // 409 is a found object in a state the route does not serve (progress of a campaign never started).
    if (res.statusCode !== 200 && res.statusCode !== 409) missing.push(`${keyOf(op)}: ${res.statusCode}`);
  }
  expect(missing).toEqual([]);
  const dnc = await request({ method: 'GET', path: '/v1/dnc/', roles: [] }, { cross: 'own' }, keysA.admin!);
  expect(dnc.json().numbers.map((n: { phone: string }) => n.phone)).toContain(fixtures.dnc);
  const call = await stack.temporal.workflow.getHandle(fixtures.callId).describe();
  expect(call.status.name).toBe('RUNNING');
  const hangup = matrixCases['POST /v1/calls/{id}/hangup']!;
  const op = { method: 'POST', path: '/v1/calls/{id}/hangup', roles: [] };
  expect((await request(op, hangup, keysA.admin!)).statusCode).toBeLessThan(300);
});

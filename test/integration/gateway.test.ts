import type { FastifyInstance } from 'fastify';
import { buildGateway } from '../../gateway/app';
import { loadConfig } from '../../lib/config';
import { createPool, migrate } from '../../lib/db';
import { ensureBootstrap } from '../../lib/api-keys';
import { createApiKey } from '../support/keys';
import { ManagedProcess } from '../support/process';
import { ready } from '../support/stack';

const config = loadConfig();
const pool = createPool(config.DATABASE_URL, 2);
const keys: Record<string, string> = {};
let app: FastifyInstance;

beforeAll(async () => {
  await migrate(pool);
  await ensureBootstrap(pool, config.DEFAULT_TENANT, config.ADMIN_API_KEY);
  keys.agent = await createApiKey(pool, 'default', 'agent');
  keys.supervisor = await createApiKey(pool, 'default', 'supervisor');
  keys.otherAdmin = await createApiKey(pool, 'other', 'admin');
  app = await buildGateway({ config, logger: false });
});
afterAll(async () => {
  await app?.close();
  await pool.end();
});

const get = (url: string, key?: string) =>
  app.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });

describe('API keys and roles', () => {
  test('no key is 401', async () => {
    const res = await get('/v1/calls');
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toMatch(/Authorization: Bearer/);
  });

  test('an unknown key is 401', async () => {
    expect((await get('/v1/calls', 'cti_not_a_real_key')).statusCode).toBe(401);
  });

  test('a role the route does not allow is 403, naming the allowed roles', async () => {
    const res = await get('/v1/calls', keys.agent);
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toMatch(/role agent .*allowed: admin, supervisor, developer/);
  });

  test('no spelling of a /v1 path gets around the key check', async () => {
    for (const url of ['/%761/calls', '/v1/%63alls', '//v1/calls', '/V1/calls', '/v1/calls/call-ast1-x.1']) {
      const res = await get(url);
      expect([401, 404]).toContain(res.statusCode);
      expect(res.statusCode).not.toBe(200);
    }
    expect((await get('/%761/calls')).statusCode).toBe(401);
  });

  test('without a key, validation says nothing about the route: 401 before 400', async () => {
    expect((await get('/v1/calls?limit=0')).statusCode).toBe(401);
  });

  test('a supervisor may list calls', async () => {
    expect((await get('/v1/calls', keys.supervisor)).statusCode).toBe(200);
  });
});

describe('tenant isolation', () => {
  test("another tenant's admin sees none of this tenant's calls and gets 404 for one of them", async () => {
    const workflowId = `call-ast1-isolation${Date.now()}.1`;
    const { Client, Connection } = await import('@temporalio/client');
    const { TypedSearchAttributes } = await import('@temporalio/common');
    const { CallSearchAttributes } = await import('../../workflows/call/contract');
    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    // A call of the default tenant, as the router would start it (no worker needed: it just waits).
    await client.workflow.start('CallWorkflow', {
      workflowId,
      taskQueue: 'isolation-no-worker',
      args: [],
      typedSearchAttributes: new TypedSearchAttributes([
        { key: CallSearchAttributes.tenant, value: 'default' },
        { key: CallSearchAttributes.caller, value: '5550999' },
      ]),
    });
    try {
      const ownList = async () => (await get('/v1/calls?from=5550999', config.ADMIN_API_KEY)).json().calls;
      for (let i = 0; i < 50 && (await ownList()).length === 0; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect((await ownList()).map((c: { id: string }) => c.id)).toContain(workflowId);

      const otherList = await get('/v1/calls?from=5550999', keys.otherAdmin);
      expect(otherList.statusCode).toBe(200);
      expect(otherList.json().calls).toEqual([]);
      expect((await get(`/v1/calls/${workflowId}`, keys.otherAdmin)).statusCode).toBe(404);
    } finally {
      await client.workflow.getHandle(workflowId).terminate('test done');
      await connection.close();
    }
  });
});

describe('input validation', () => {
  test('a bad query parameter is 400 naming the field', async () => {
    const res = await get('/v1/calls?limit=0&state=dancing', config.ADMIN_API_KEY);
    expect(res.statusCode).toBe(400);
    const fields = res.json().fields.map((f: { field: string }) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['querystring.limit', 'querystring.state']));
  });

  test('a malformed call id is 400 naming params.id; an unknown one is 404', async () => {
    const bad = await get('/v1/calls/not-a-call;drop', config.ADMIN_API_KEY);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().fields[0].field).toBe('params.id');
    const missing = await get('/v1/calls/call-ast1-nope.1', config.ADMIN_API_KEY);
    expect(missing.statusCode).toBe(404);
  });

  test('an unknown route is a JSON 404', async () => {
    const res = await get('/v1/nothing-here', config.ADMIN_API_KEY);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'Not Found' });
  });
});

describe('health and readiness', () => {
  test('every dependency up and our bridge holding the Stasis app: ready; without the bridge: 503', async () => {
    const bridge = new ManagedProcess('bridge', 'asterisk/bridge.ts').start();
    try {
      await bridge.waitFor(ready.bridge);
      const res = await get('/readyz');
      expect(res.json()).toMatchObject({ status: 'ready', down: [] });
      expect(Object.keys(res.json().checks).sort()).toEqual([
        'ari',
        'bridge',
        'nats',
        'postgres',
        'temporal',
      ]);
      expect(res.statusCode).toBe(200);
    } finally {
      await bridge.stop();
    }
    const res = await get('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'unavailable', down: ['bridge'] });
  });

  test('ARI unreachable: 503 naming ari, not saying why', async () => {
    const broken = await buildGateway({
      config: { ...config, ARI_URL: 'http://127.0.0.1:18098' },
      logger: false,
    });
    try {
      const res = await broken.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'unavailable', down: ['ari', 'bridge'] });
      // Why is for the log, not for anyone who asks: no key is needed here.
      expect(res.json().checks.ari).toEqual({ ok: false, latencyMs: expect.any(Number) });
    } finally {
      await broken.close();
    }
  });
});

describe('OpenAPI', () => {
  test('is generated from the zod schemas, with the calls routes and bearer auth', async () => {
    const doc = (await get('/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/calls/', '/v1/calls/{id}', '/readyz']),
    );
    expect(doc.paths['/v1/calls/'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['status', 'state', 'from', 'to', 'limit']),
    );
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { assertOnCall } from '../../gateway/routes/calls/lookup';
import { buildGateway } from '../../gateway/app';
import { ensureBootstrap, Role } from '../../lib/api-keys';
import { loadConfig } from '../../lib/config';
import { createPool, migrate } from '../../lib/db';
import { CampaignSettings } from '../../domain/campaign/settings';
import { createApiKey } from '../support/keys';

/** Malformed input answers 4xx naming the field, never 500; agents act only on their own calls. */
const config = loadConfig();
const pool = createPool(config.DATABASE_URL, 2);
let app: FastifyInstance;
beforeAll(async () => {
  await migrate(pool);
  await ensureBootstrap(pool, config.DEFAULT_TENANT, config.ADMIN_API_KEY);
  app = await buildGateway({ config, logger: false });
});
afterAll(async () => {
  await app?.close();
  await pool.end();
});
const get = (url: string) =>
  app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${config.ADMIN_API_KEY}` } });
const fieldsOf = (res: { json: () => { fields?: { field: string }[] } }) =>
  (res.json().fields ?? []).map((f) => f.field);

test('cursors that are not from a previous page are 400 naming the field, not 500', async () => {
  const tickets = await get('/v1/tickets?cursor=Zm9v');
  expect(tickets.statusCode).toBe(400);
  expect(fieldsOf(tickets)).toEqual(['querystring.cursor']);

  const { rows } = await pool.query<{ id: string }>(
    `insert into campaigns (tenant_id, name, config) values ($1, $2, $3) returning id`,
    [
      config.DEFAULT_TENANT,
      `Cursor ${Date.now()}`,
      CampaignSettings.parse({
        target: { kind: 'flow', flowId: randomUUID() },
        callerId: '5550199',
        window: { weekly: [{ days: ['mon'], open: '09:00', close: '17:00' }] },
      }),
    ],
  );
  const contacts = await get(`/v1/campaigns/${rows[0]!.id}/contacts?cursor=9999999999999999999`);
  expect(contacts.statusCode).toBe(400);
  expect(fieldsOf(contacts)).toEqual(['querystring.cursor']);
  const inRange = await get(`/v1/campaigns/${rows[0]!.id}/contacts?cursor=9223372036854775807`);
  expect(inRange.statusCode).toBe(200);

  const hook = await pool.query<{ id: string }>(
    `insert into webhooks (tenant_id, url, event_types, secret, task_queue)
     values ($1, 'https://example.com/hook', '{}', 'secret', 'none') returning id`,
    [config.DEFAULT_TENANT],
  );
  const deliveries = await get(`/v1/webhooks/${hook.rows[0]!.id}/deliveries?cursor=9999999999999999999`);
  expect(deliveries.statusCode).toBe(400);
  expect(fieldsOf(deliveries)).toEqual(['querystring.cursor']);
});

test('a disposition or transfer on an id that is no call of the tenant is 404, whatever exists', async () => {
  for (const url of ['/v1/calls/no-such-call/disposition', '/v1/calls/no-such-call/transfer']) {
    const res = await app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${config.ADMIN_API_KEY}` },
      payload: url.endsWith('disposition')
        ? { disposition: 'resolved' }
        : { to: { kind: 'number', number: '5550100' } },
    });
    expect(res.statusCode).toBe(404);
  }
});

test('an agent acts only on a call they are on; supervisors on any', () => {
  const agent = { keyId: 'k', tenantId: 't', role: Role.Agent, agentId: 'a1' };
  expect(() => assertOnCall(agent, { queue: { agent: { id: 'a1' } } })).not.toThrow();
  expect(() => assertOnCall(agent, { queue: { agent: { id: 'a2' } } })).toThrow(/only on calls they are on/);
  expect(() => assertOnCall(agent, {})).toThrow(/only on calls they are on/);
  expect(() => assertOnCall({ ...agent, agentId: undefined }, { queue: { agent: { id: 'a1' } } })).toThrow();
  expect(() => assertOnCall({ ...agent, role: Role.Supervisor }, {})).not.toThrow();
});

test('past its rate a key gets 429 with Retry-After; another key is unaffected', async () => {
  const limited = await buildGateway({ config: { ...config, RATE_LIMIT_PER_MINUTE: 5 }, logger: false });
  try {
    const other = await createApiKey(pool, config.DEFAULT_TENANT, Role.Supervisor);
    const as = (key: string) =>
      limited.inject({ method: 'GET', url: '/v1/queues', headers: { authorization: `Bearer ${key}` } });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await as(config.ADMIN_API_KEY)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const refused = await as(config.ADMIN_API_KEY);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect((await as(other)).statusCode).toBe(200);
  } finally {
    await limited.close();
  }
});

test('a method a path does not take is 405 with Allow; text PostgreSQL cannot store is 400, not 500', async () => {
  const patch = await app.inject({
    method: 'PATCH',
    url: '/v1/queues',
    headers: { authorization: `Bearer ${config.ADMIN_API_KEY}` },
  });
  expect(patch.statusCode).toBe(405);
  expect(patch.headers.allow).toMatch(/GET/);
  expect((await get('/v1/no-such-thing')).statusCode).toBe(404);
  // A fixed path answers for its own methods, not for the parameter route beside it.
  const preview = await get('/v1/recordings/tts-preview');
  expect(preview.statusCode).toBe(405);
  expect(preview.headers.allow).toBe('POST');
  const nul = await app.inject({
    method: 'POST',
    url: '/v1/tickets',
    headers: { authorization: `Bearer ${config.ADMIN_API_KEY}` },
    payload: { subject: 'a\u0000b' },
  });
  expect(nul.statusCode).toBe(400);
});

test('a ticket linking an empty or unknown call id is 400 naming the field, not 500', async () => {
  for (const calls of [[''], ['no-such-call']]) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/tickets',
      headers: { authorization: `Bearer ${config.ADMIN_API_KEY}` },
      payload: { subject: 'links', calls },
    });
    expect(res.statusCode).toBe(400);
    expect(fieldsOf(res)[0]).toMatch(/^body\.calls/);
  }
});

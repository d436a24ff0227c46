import type { FastifyInstance } from 'fastify';
import { buildGateway } from '../../gateway/app';
import { ensureBootstrap } from '../../lib/api-keys';
import { loadConfig } from '../../lib/config';
import { createPool, migrate } from '../../lib/db';
import { createApiKey } from '../support/keys';

// The API alone, in process (app.inject): no telephony. Run beside other suites with their own tenant, e.g.
// CTICLOUD_TEST_DEFAULT_TENANT=camptest CTICLOUD_TEST_ADMIN_API_KEY=cti_test_campaign_key_0123456789ab.
const config = loadConfig();
const tenant = config.DEFAULT_TENANT;
const pool = createPool(config.DATABASE_URL, 2);
let app: FastifyInstance;
const keys: Record<string, string> = { admin: config.ADMIN_API_KEY };
let flowId: string;
let draftFlowId: string;
let queueId: string;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const call = (method: Method, url: string, body?: unknown, key = keys.admin!) =>
  app.inject({ method, url, payload: body as object, headers: { authorization: `Bearer ${key}` } });
const upload = (url: string, payload: string, contentType: string, key = keys.admin!) =>
  app.inject({
    method: 'POST',
    url,
    payload,
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
  });
const unique = (name: string) => `${name} ${Date.now()} ${Math.random().toString(36).slice(2, 6)}`;
const fieldsOf = (res: { json: () => { fields?: { field: string }[] } }) =>
  (res.json().fields ?? []).map((f) => f.field);

const settings = (overrides: Record<string, unknown> = {}) => ({
  target: { kind: 'flow', flowId },
  callerId: '+12125550100',
  window: { weekly: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '09:00', close: '20:00' }] },
  ...overrides,
});
const createCampaign = async (overrides: Record<string, unknown> = {}) => {
  const res = await call('POST', '/v1/campaigns', { name: unique('Campaign'), ...settings(overrides) });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; version: number; name: string };
};
const setState = (id: string, state: string) =>
  pool.query('update campaigns set state = $2 where id = $1', [id, state]);

beforeAll(async () => {
  await migrate(pool);
  await ensureBootstrap(pool, tenant, config.ADMIN_API_KEY);
  // Left by an interrupted run: the list's contents are asserted below.
  await pool.query('delete from dnc_numbers where tenant_id = $1', [tenant]);
  keys.supervisor = await createApiKey(pool, tenant, 'supervisor');
  keys.otherAdmin = await createApiKey(pool, `${tenant}-other`, 'admin');
  app = await buildGateway({ config, logger: false });
  const definition = {
    schemaVersion: 1,
    start: 'bye',
    nodes: [{ id: 'bye', type: 'hangup' }],
    edges: [],
  };
  flowId = (await call('POST', '/v1/flows', { name: unique('Campaign flow'), definition })).json().id;
  expect((await call('POST', `/v1/flows/${flowId}/publish`)).statusCode).toBe(201);
  draftFlowId = (await call('POST', '/v1/flows', { name: unique('Unpublished'), definition })).json().id;
  queueId = (await call('POST', '/v1/queues', { name: unique('Campaign queue') })).json().id;
});
afterAll(async () => {
  await pool.query('delete from campaigns where tenant_id = $1', [tenant]);
  await pool.query('delete from dnc_numbers where tenant_id = $1', [tenant]);
  await app?.close();
  await pool.end();
});

describe('POST /v1/campaigns', () => {
  test('bad fields are 400, each named', async () => {
    const res = await call('POST', '/v1/campaigns', {
      name: '',
      ...settings({
        callerId: 'call me',
        pacing: { callsPerSecond: 1000 },
        window: { weekly: [{ days: ['someday'], open: '25:00', close: '09:00' }] },
        retries: { busy: { delaySec: -1, maxAttempts: 3 } },
      }),
    });
    expect(res.statusCode).toBe(400);
    expect(fieldsOf(res)).toEqual(
      expect.arrayContaining([
        'body.name',
        'body.callerId',
        'body.pacing.callsPerSecond',
        'body.window.weekly.0.days.0',
        'body.window.weekly.0.open',
        'body.retries.busy.delaySec',
      ]),
    );
  });

  test('the target must be a published flow or a queue of the tenant, and match the mode', async () => {
    const unpublished = await call('POST', '/v1/campaigns', {
      name: unique('C'),
      ...settings({ target: { kind: 'flow', flowId: draftFlowId } }),
    });
    expect(unpublished.statusCode).toBe(400);
    expect(fieldsOf(unpublished)).toEqual(['body.target.flowId']);
    expect(unpublished.json().message).toMatch(/no published version/);

    const missingQueue = await call('POST', '/v1/campaigns', {
      name: unique('C'),
      ...settings({ mode: 'progressive', target: { kind: 'queue', queueId: flowId } }),
    });
    expect(fieldsOf(missingQueue)).toEqual(['body.target.queueId']);

    const mismatch = await call('POST', '/v1/campaigns', {
      name: unique('C'),
      ...settings({ mode: 'predictive' }),
    });
    expect(fieldsOf(mismatch)).toEqual(['body.mode']);

    // Another tenant's flow does not exist for this one.
    const foreign = await call(
      'POST',
      '/v1/campaigns',
      { name: unique('C'), ...settings() },
      keys.otherAdmin,
    );
    expect(fieldsOf(foreign)).toEqual(['body.target.flowId']);
  });

  test('a valid campaign is a draft with defaults; a second one of the same name is 409', async () => {
    const res = await call('POST', '/v1/campaigns', {
      name: unique('Agents'),
      ...settings({ mode: 'progressive', target: { kind: 'queue', queueId }, amd: true }),
    });
    expect(res.statusCode).toBe(201);
    const campaign = res.json();
    expect(campaign).toMatchObject({ state: 'draft', version: 1, amd: true, mode: 'progressive' });
    expect(campaign.pacing).toEqual({ callsPerSecond: 1, maxConcurrent: 10, ratio: 1, maxAbandonRate: 0.03 });
    expect(campaign.retries.busy).toEqual({ delaySec: 300, maxAttempts: 3 });
    const again = await call('POST', '/v1/campaigns', { name: campaign.name, ...settings() });
    expect(again.statusCode).toBe(409);

    const got = await call('GET', `/v1/campaigns/${campaign.id}`, undefined, keys.supervisor);
    expect(got.json().counts).toEqual({
      contacts: 0,
      byState: { pending: 0, dialing: 0, done: 0, failed: 0, dnc: 0 },
      byDisposition: {},
      attempts: 0,
    });
    const list = await call('GET', '/v1/campaigns?state=draft');
    expect(list.json().campaigns.map((c: { id: string }) => c.id)).toContain(campaign.id);
    expect((await call('GET', `/v1/campaigns/${campaign.id}`, undefined, keys.otherAdmin)).statusCode).toBe(
      404,
    );
    expect((await call('POST', '/v1/campaigns', settings(), keys.supervisor)).statusCode).toBe(403);
  });
});

describe('contacts', () => {
  test('CSV: bad rows reported by line, good rows kept, duplicates merged, custom fields kept', async () => {
    const { id } = await createCampaign();
    const csv = [
      'phone,time_zone,first_name,plan', // line 1
      '+1 212 555 0101,,Ann,gold', // 2: derived zone (New York)
      'not a number,,Bob,silver', // 3: bad phone
      '(312) 555-0102,Europe/Paris,Cleo,', // 4: national, ?country=US; given zone
      '+12125550101,,,platinum', // 5: Ann again: plan updated, first_name kept
      '+14155550103,Mars/Base,Dan,gold', // 6: bad zone
      '+14155550104,,Eve', // 7: a column short
      '"+1 415 555 0105",,"Multi', // 8-9: a quoted field over two lines
      'line",bronze',
      '', // empty lines are skipped
      '+14155550106,America/Los_Angeles,Fay,gold', // 11
    ].join('\n');
    const res = await upload(`/v1/campaigns/${id}/contacts?country=US`, csv, 'text/csv');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      total: 8,
      accepted: 5,
      created: 4,
      merged: 1,
      rejected: 3,
      dnc: 0,
      complete: true,
      errors: [
        { line: 3, reason: expect.stringMatching(/characters other than digits/) },
        { line: 6, reason: 'time_zone "Mars/Base" is not an IANA zone' },
        { line: 7, reason: 'expected 4 columns, found 3' },
      ],
    });
    const contacts = (await call('GET', `/v1/campaigns/${id}/contacts`)).json().contacts;
    expect(contacts).toEqual([
      expect.objectContaining({
        phone: '+12125550101',
        timeZone: 'America/New_York',
        fields: { first_name: 'Ann', plan: 'platinum' },
        line: 2,
        state: 'pending',
        attempts: [],
      }),
      expect.objectContaining({
        phone: '+13125550102',
        timeZone: 'Europe/Paris',
        fields: { first_name: 'Cleo' },
      }),
      expect.objectContaining({
        phone: '+14155550105',
        line: 8,
        fields: { first_name: 'Multi\nline', plan: 'bronze' },
      }),
      expect.objectContaining({ phone: '+14155550106', timeZone: 'America/Los_Angeles', line: 11 }),
    ]);

    // Uploaded again with no zone: a given zone stays, fields merge, nothing is created.
    const again = await upload(
      `/v1/campaigns/${id}/contacts`,
      'phone,plan\n+13125550102,silver\n',
      'text/csv; charset=utf-8',
    );
    expect(again.json()).toMatchObject({ total: 1, created: 0, merged: 1 });
    const cleo = (await call('GET', `/v1/campaigns/${id}/contacts`)).json().contacts[1];
    expect(cleo).toMatchObject({ timeZone: 'Europe/Paris', fields: { first_name: 'Cleo', plan: 'silver' } });

    const counts = (await call('GET', `/v1/campaigns/${id}`)).json().counts;
    expect(counts).toMatchObject({ contacts: 4, byState: { pending: 4, done: 0 } });
  });

  test('an unclosed quote stops reading there; rows before it are kept and the report says so', async () => {
    const { id } = await createCampaign();
    const csv = 'phone,note\n+12125550501,ok\n+12125550502,"unclosed\n+12125550503,swallowed\n';
    const res = await upload(`/v1/campaigns/${id}/contacts`, csv, 'text/csv');
    expect(res.json()).toMatchObject({
      created: 1,
      rejected: 1,
      complete: false,
      errors: [{ reason: expect.stringMatching(/Quote Not Closed.*nothing after it was read/) }],
    });
  });

  test('an unusable upload is 400 and imports nothing', async () => {
    const { id } = await createCampaign();
    const noPhone = await upload(`/v1/campaigns/${id}/contacts`, 'number,name\n+12125550101,A\n', 'text/csv');
    expect(noPhone.statusCode).toBe(400);
    expect(fieldsOf(noPhone)).toEqual(['body.header']);
    const badColumn = await upload(`/v1/campaigns/${id}/contacts`, 'phone,first name\n', 'text/csv');
    expect(badColumn.json().message).toMatch(/not a variable name/);
    expect((await call('POST', `/v1/campaigns/${id}/contacts`, { phone: '+12125550101' })).statusCode).toBe(
      400,
    );
    const badCountry = await upload(`/v1/campaigns/${id}/contacts?country=XX`, 'phone\n', 'text/csv');
    expect(fieldsOf(badCountry)).toEqual(['querystring.country']);
    expect((await upload(`/v1/campaigns/${id}/contacts`, 'phone', 'text/plain')).statusCode).toBe(415);
    expect((await call('GET', `/v1/campaigns/${id}`)).json().counts.contacts).toBe(0);
  });

  test('JSON: the same rules, lines are item positions', async () => {
    const { id } = await createCampaign();
    const res = await call('POST', `/v1/campaigns/${id}/contacts`, [
      { phone: '+442079460958', first_name: 'Ann', vip: true, score: 7 },
      { phone: '+442079460958', first_name: 'Annie' },
      { phone: '+33123456789', time_zone: 'Europe/Paris', nested: { no: 1 } },
      'not an object',
      { name: 'no phone' },
      { phone: '+61293744000', 'bad name': 'x' },
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ total: 6, accepted: 2, created: 1, merged: 1, rejected: 4 });
    expect(res.json().errors.map((e: { line: number }) => e.line)).toEqual([3, 4, 5, 6]);
    const [ann] = (await call('GET', `/v1/campaigns/${id}/contacts`)).json().contacts;
    expect(ann).toMatchObject({
      phone: '+442079460958',
      timeZone: 'Europe/London',
      fields: { first_name: 'Annie', vip: 'true', score: '7' },
    });
  });

  test('multipart: the file part is streamed as CSV', async () => {
    const { id } = await createCampaign();
    const boundary = '----cticloud-test';
    const body = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="file"; filename="contacts.csv"',
      'Content-Type: text/csv',
      '',
      'phone,account\n+12125550111,A-1\n+12125550112,A-2\nbad,A-3\n',
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const res = await upload(
      `/v1/campaigns/${id}/contacts`,
      body,
      `multipart/form-data; boundary=${boundary}`,
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ total: 3, created: 2, rejected: 1, errors: [{ line: 4 }] });
  });

  test('paging by cursor and state, each contact with its attempts', async () => {
    const { id } = await createCampaign();
    const rows = Array.from({ length: 5 }, (_, i) => `+1212555020${i},N${i}`);
    await upload(`/v1/campaigns/${id}/contacts`, `phone,name\n${rows.join('\n')}\n`, 'text/csv');
    const first = (await call('GET', `/v1/campaigns/${id}/contacts?limit=2`)).json();
    expect(first.contacts.map((c: { phone: string }) => c.phone)).toEqual(['+12125550200', '+12125550201']);
    const second = (
      await call('GET', `/v1/campaigns/${id}/contacts?limit=2&cursor=${first.nextCursor}`)
    ).json();
    expect(second.contacts.map((c: { phone: string }) => c.phone)).toEqual(['+12125550202', '+12125550203']);
    const last = (
      await call('GET', `/v1/campaigns/${id}/contacts?limit=2&cursor=${second.nextCursor}`)
    ).json();
    expect(last).toMatchObject({ contacts: [{ phone: '+12125550204' }], nextCursor: null });

    // What the dialer writes: one contact done after two attempts.
    const contactId = first.contacts[1].id;
    await pool.query(
      `update campaign_contacts set state = 'done', attempts = 2, last_disposition = 'answered' where id = $1`,
      [contactId],
    );
    await pool.query(
      `insert into campaign_attempts (campaign_id, contact_id, attempt, call_id, started_at, ended_at, disposition)
       values ($1, $2, 1, $3, now() - interval '1 hour', now() - interval '1 hour', 'no_answer'),
              ($1, $2, 2, $4, now(), now(), 'answered')`,
      [id, contactId, `test-${contactId}-1`, `test-${contactId}-2`],
    );
    const done = (
      await call('GET', `/v1/campaigns/${id}/contacts?state=done`, undefined, keys.supervisor)
    ).json();
    expect(done.contacts).toHaveLength(1);
    expect(done.contacts[0].attempts.map((a: { disposition: string }) => a.disposition)).toEqual([
      'no_answer',
      'answered',
    ]);
    const counts = (await call('GET', `/v1/campaigns/${id}`)).json().counts;
    expect(counts).toMatchObject({
      contacts: 5,
      byState: { pending: 4, done: 1 },
      byDisposition: { answered: 1 },
      attempts: 2,
    });
    expect((await call('GET', `/v1/campaigns/${id}/contacts?cursor=abc`)).statusCode).toBe(400);
  });
});

describe('do-not-call list', () => {
  test('add (normalized, bad numbers reported), list by page, count at upload, delete', async () => {
    const add = await call('POST', '/v1/dnc', {
      numbers: ['+1 (212) 555-0301', '212.555.0302', 'nope', '+12125550301'],
      country: 'US',
      reason: 'asked not to be called',
    });
    expect(add.statusCode).toBe(200);
    expect(add.json()).toEqual({
      added: 2,
      existing: 0,
      rejected: [{ index: 2, number: 'nope', reason: expect.any(String) }],
    });
    expect((await call('POST', '/v1/dnc', { numbers: ['+12125550302'] })).json()).toMatchObject({
      added: 0,
      existing: 1,
    });

    const page = (await call('GET', '/v1/dnc?limit=1', undefined, keys.supervisor)).json();
    expect(page.numbers).toEqual([
      { phone: '+12125550301', reason: 'asked not to be called', addedAt: expect.any(String) },
    ]);
    const next = (await call('GET', `/v1/dnc?limit=1&cursor=${encodeURIComponent(page.nextCursor)}`)).json();
    expect(next.numbers.map((n: { phone: string }) => n.phone)).toEqual(['+12125550302']);
    expect((await call('GET', '/v1/dnc', undefined, keys.otherAdmin)).json().numbers).toEqual([]);

    const { id } = await createCampaign();
    const report = await upload(
      `/v1/campaigns/${id}/contacts`,
      'phone\n+12125550301\n+12125550303\n',
      'text/csv',
    );
    expect(report.json()).toMatchObject({ created: 2, dnc: 1 });

    expect((await call('POST', '/v1/dnc', { numbers: ['+12125550304'] }, keys.supervisor)).statusCode).toBe(
      403,
    );
    expect((await call('DELETE', '/v1/dnc/%2B12125550301')).statusCode).toBe(204);
    expect((await call('DELETE', '/v1/dnc/%2B12125550301')).statusCode).toBe(404);
    expect(fieldsOf(await call('DELETE', '/v1/dnc/12'))).toEqual(['params.phone']);
    expect(fieldsOf(await call('POST', '/v1/dnc', { numbers: [] }))).toEqual(['body.numbers']);
  });
});

describe('state rules', () => {
  test('PUT while draft or paused with the current version; DELETE only when nothing dials', async () => {
    const campaign = await createCampaign();
    const body = { name: campaign.name, ...settings({ amd: true }), version: 1 };
    const updated = await call('PUT', `/v1/campaigns/${campaign.id}`, body);
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ version: 2, amd: true });
    const stale = await call('PUT', `/v1/campaigns/${campaign.id}`, body);
    expect(stale.statusCode).toBe(409);
    expect(stale.json().message).toMatch(/version 2, not 1/);

    await setState(campaign.id, 'running');
    const running = await call('PUT', `/v1/campaigns/${campaign.id}`, { ...body, version: 2 });
    expect(running.statusCode).toBe(409);
    expect(running.json().message).toMatch(/is running/);
    expect((await call('DELETE', `/v1/campaigns/${campaign.id}`)).statusCode).toBe(409);
    // A running campaign still takes contacts.
    const more = await upload(`/v1/campaigns/${campaign.id}/contacts`, 'phone\n+12125550401\n', 'text/csv');
    expect(more.json()).toMatchObject({ created: 1 });

    await setState(campaign.id, 'paused');
    expect((await call('PUT', `/v1/campaigns/${campaign.id}`, { ...body, version: 2 })).statusCode).toBe(200);

    await setState(campaign.id, 'stopped');
    const closed = await upload(`/v1/campaigns/${campaign.id}/contacts`, 'phone\n+12125550402\n', 'text/csv');
    expect(closed.statusCode).toBe(409);
    expect(
      (await call('DELETE', `/v1/campaigns/${campaign.id}`, undefined, keys.supervisor)).statusCode,
    ).toBe(403);
    expect((await call('DELETE', `/v1/campaigns/${campaign.id}`)).statusCode).toBe(204);
    expect((await call('GET', `/v1/campaigns/${campaign.id}`)).statusCode).toBe(404);
    const left = await pool.query('select count(*)::int as n from campaign_contacts where campaign_id = $1', [
      campaign.id,
    ]);
    expect(left.rows[0].n).toBe(0);
  });
});

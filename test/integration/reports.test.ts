/**
 * Issue #19's historical reports against hand-computed figures: a known mix of queue outcomes on the real
 * PostgreSQL (answered fast and late, abandoned short and long, one sent on by overflow), read through the
 * real gateway, per hour, quarter-hour and day in Paris time. Every figure below is worked out by hand from
 * the six contacts, in the comments.
 */
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { buildGateway } from '../../gateway/app';
import { Role } from '../../lib/api-keys';
import { loadConfig } from '../../lib/config';
import { createPool, migrate } from '../../lib/db';
import { createApiKey } from '../support/keys';

const config = loadConfig({ GATEWAY_METRICS_PORT: '0' } as never);
const pool = createPool(config.DATABASE_URL, 2);
const TENANT = `reports-${Math.random().toString(36).slice(2, 8)}`;
let app: FastifyInstance;
let key: string;
let queueId: string;
const agents: Record<'ann' | 'bob', string> = { ann: '', bob: '' };

/** 2026-03-10 in Paris (UTC+1): `hh:mm` local → the instant. */
const paris = (hhmm: string) => new Date(`2026-03-10T${hhmm}:00+01:00`);

beforeAll(async () => {
  await migrate(pool);
  key = await createApiKey(pool, TENANT, Role.Admin);
  queueId = (
    await pool.query<{ id: string }>(
      `insert into queues (tenant_id, name, config) values ($1, 'Sales', $2) returning id::text`,
      [TENANT, { serviceLevelSec: 20, wrapUpSec: 10 }],
    )
  ).rows[0]!.id;
  for (const name of ['ann', 'bob'] as const) {
    agents[name] = (
      await pool.query<{ id: string }>(
        `insert into agents (tenant_id, name, endpoint) values ($1, $2, 'Local/1@x') returning id::text`,
        [TENANT, `${name} ${TENANT}`],
      )
    ).rows[0]!.id;
  }
  const outcome = (
    at: string,
    kind: 'answered' | 'abandoned',
    waitSec: number,
    extra: { agent?: 'ann' | 'bob'; talkSec?: number; reason?: 'overflow' } = {},
  ) =>
    pool.query(
      `insert into acd_outcomes (id, tenant_id, entry_id, queue_id, kind, reason, agent_id, enqueued_at, at,
                                 wait_sec, talk_sec)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $8::timestamptz + make_interval(secs => $9), $9, $10)`,
      [
        randomUUID(),
        TENANT,
        `call-${at}`,
        queueId,
        kind,
        extra.reason ?? (kind === 'abandoned' ? 'abandoned' : null),
        extra.agent ? agents[extra.agent] : null,
        paris(at),
        waitSec,
        extra.talkSec ?? null,
      ],
    );
  await outcome('09:02', 'answered', 5, { agent: 'ann', talkSec: 60 }); // fast
  await outcome('09:10', 'answered', 30, { agent: 'bob', talkSec: 120 }); // late (over 20 s)
  await outcome('09:20', 'abandoned', 3); // short abandon
  await outcome('09:40', 'abandoned', 45); // long abandon
  await outcome('09:50', 'abandoned', 25, { reason: 'overflow' }); // sent on after 25 s
  await outcome('10:05', 'answered', 10, { agent: 'ann', talkSec: 30 });
  app = await buildGateway({ config, logger: false });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await pool.query('delete from acd_outcomes where tenant_id = $1', [TENANT]);
  await pool.end();
});

const get = async (path: string, as = key) =>
  app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${as}` } });
const range = `from=${paris('00:00').toISOString()}&to=${paris('23:59').toISOString()}&timeZone=Europe/Paris`;

test('per hour: offered, answered, abandons short and long, overflow, both service levels, ASA, AHT', async () => {
  const res = await get(`/v1/reports/queues?${range}&interval=1h`);
  expect(res.statusCode).toBe(200);
  const [nine, ten] = res.json().rows;
  expect(nine).toEqual({
    start: '2026-03-10T08:00:00.000Z',
    localStart: '2026-03-10T09:00',
    queueId,
    queueName: 'Sales',
    offered: 5,
    answered: 2,
    abandoned: 2, // the overflow is not an abandon
    shortAbandoned: 1, // 3 s < 5 s
    overflowed: 1,
    serviceLevelSec: 20,
    answeredWithinServiceLevel: 1, // 5 s; not 30 s
    serviceLevelConnect: 0.4, // removed within 20 s (the 5 s answer, the 3 s abandon) ÷ 5 queued
    serviceLevelGenesys: 0.25, // 1 answered in time ÷ (2 answered + 2 abandoned)
    averageSpeedOfAnswerSec: 17.5, // (5 + 30) / 2
    averageAbandonSec: 24, // (3 + 45) / 2
    averageTalkSec: 90, // (60 + 120) / 2
    averageHandleSec: 100, // talk + the queue's 10 s of wrap-up
  });
  expect(ten).toMatchObject({
    localStart: '2026-03-10T10:00',
    offered: 1,
    answered: 1,
    serviceLevelConnect: 1,
    serviceLevelGenesys: 1,
    averageSpeedOfAnswerSec: 10,
    averageHandleSec: 40,
  });
  // Short abandons left out of the Genesys figure: 1 ÷ (2 + 2 − 1); another threshold: 30 s takes the late one.
  const excluded = (await get(`/v1/reports/queues?${range}&interval=1h&excludeShortAbandons=true`)).json();
  expect(excluded.rows[0].serviceLevelGenesys).toBe(0.3333);
  const thirty = (await get(`/v1/reports/queues?${range}&interval=1h&serviceLevelSec=30`)).json();
  // Within 30 s: answers of 5 and 30 s, the 3 s abandon and the 25 s overflow: 4 of 5; Genesys 2 ÷ 4.
  expect([thirty.rows[0].serviceLevelConnect, thirty.rows[0].serviceLevelGenesys]).toEqual([0.8, 0.5]);
});

test('per quarter-hour and per day, cut in local time', async () => {
  const quarters = (await get(`/v1/reports/queues?${range}&interval=15m`)).json().rows;
  expect(quarters.map((r: any) => [r.localStart.slice(11), r.offered])).toEqual([
    ['09:00', 2],
    ['09:15', 1],
    ['09:30', 1],
    ['09:45', 1],
    ['10:00', 1],
  ]);
  const days = (await get(`/v1/reports/queues?${range}&interval=day`)).json().rows;
  // Paris's midnight is 23:00 UTC the day before.
  expect(days).toEqual([
    expect.objectContaining({ start: '2026-03-09T23:00:00.000Z', offered: 6, answered: 3 }),
  ]);
});

test('per agent, campaigns, CSV and the queue_log export', async () => {
  const byAgent = (await get(`/v1/reports/agents?${range}&interval=1h`)).json().rows;
  expect(
    byAgent.map((r: any) => [r.localStart.slice(11), r.agentName.split(' ')[0], r.answered, r.talkSec]),
  ).toEqual([
    ['09:00', 'ann', 1, 60],
    ['09:00', 'bob', 1, 120],
    ['10:00', 'ann', 1, 30],
  ]);
  expect((await get(`/v1/reports/campaigns?${range.split('&timeZone')[0]}`)).json()).toEqual({ rows: [] });

  const csv = await get(`/v1/reports/queues?${range}&interval=1h&format=csv`);
  expect(csv.headers['content-type']).toMatch(/^text\/csv/);
  const lines = csv.body.trim().split('\r\n');
  expect(lines[0]).toBe(
    'start,localStart,queueId,queueName,offered,answered,abandoned,shortAbandoned,overflowed,serviceLevelSec,' +
      'answeredWithinServiceLevel,serviceLevelConnect,serviceLevelGenesys,averageSpeedOfAnswerSec,' +
      'averageAbandonSec,averageTalkSec,averageHandleSec',
  );
  expect(lines[1]).toBe(
    `2026-03-10T08:00:00.000Z,2026-03-10T09:00,${queueId},Sales,5,2,2,1,1,20,1,0.4,0.25,17.5,24,90,100`,
  );

  const log = await get(`/v1/reports/queue-log?${range.split('&timeZone')[0]}`);
  expect(log.headers['content-type']).toMatch(/^text\/plain/);
  const events = log.body.trim().split('\n');
  const at = (hhmm: string, plusSec = 0) => paris(hhmm).getTime() / 1000 + plusSec;
  expect(events).toHaveLength(6 + 3 + 3 + 2 + 1);
  expect(events[0]).toBe(`${at('09:02')}|call-09:02|Sales|NONE|ENTERQUEUE||`);
  expect(events).toContain(`${at('09:02', 5)}|call-09:02|Sales|ann ${TENANT}|CONNECT|5||0`);
  expect(events).toContain(`${at('09:02', 65)}|call-09:02|Sales|ann ${TENANT}|COMPLETECALLER|5|60|1`);
  expect(events).toContain(`${at('09:20', 3)}|call-09:20|Sales|NONE|ABANDON|1|1|3`);
  expect(events).toContain(`${at('09:50', 25)}|call-09:50|Sales|NONE|EXITWITHTIMEOUT|1|1|25`);
  // In time order.
  const times = events.map((e: string) => Number(e.split('|')[0]));
  expect(times).toEqual([...times].sort((a, b) => a - b));
});

test('bad ranges and zones are a 400 naming the field; agents may not read reports', async () => {
  const backwards = await get(
    `/v1/reports/queues?from=${paris('10:00').toISOString()}&to=${paris('09:00').toISOString()}`,
  );
  expect([backwards.statusCode, backwards.body]).toEqual([400, expect.stringContaining('to')]);
  const zone = await get(`/v1/reports/queues?${range.replace('Europe/Paris', 'Mars/Olympus')}`);
  expect([zone.statusCode, zone.body]).toEqual([400, expect.stringContaining('timeZone')]);
  // An offset ISO 8601 allows and PostgreSQL would refuse (beyond ±15:59) is read in UTC, not a 500.
  const farOffset = await get(`/v1/reports/queues?from=2026-03-10T00:00:00-17:42&to=2026-03-11T00:00:00Z`);
  expect(farOffset.statusCode).toBe(200);
  const long = await get(`/v1/reports/agents?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z`);
  expect(long.statusCode).toBe(400);
  const agentKey = await createApiKey(pool, TENANT, Role.Agent);
  expect((await get(`/v1/reports/queues?${range}`, agentKey)).statusCode).toBe(403);
});

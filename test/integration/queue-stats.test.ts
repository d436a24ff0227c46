import { randomUUID } from 'node:crypto';
import { readQueueStats } from '../../lib/acd/queue-stats';
import { agentStatesByTenant, queueStats } from '../../lib/acd/reads';
import { loadConfig } from '../../lib/config';
import { createPool, migrate, type Pool } from '../../lib/db';

// The routing tables on the real PostgreSQL, no telephony: what the API and the statistics publisher read.
const config = loadConfig();
const pool = createPool(config.DATABASE_URL, 2);
const suffix = Math.random().toString(36).slice(2, 8);
const tenants = [`qstats-a-${suffix}`, `qstats-b-${suffix}`];

beforeAll(async () => {
  await migrate(pool);
  for (const t of tenants) await pool.query(`insert into tenants (id, name) values ($1, $1)`, [t]);
});
afterAll(async () => {
  await pool.query('delete from acd_outcomes where tenant_id = any($1)', [tenants]);
  await pool.query('delete from acd_entries where tenant_id = any($1)', [tenants]);
  await pool.query('delete from acd_agents where tenant_id = any($1)', [tenants]);
  await pool.query('delete from queues where tenant_id = any($1)', [tenants]);
  await pool.query('delete from tenants where id = any($1)', [tenants]);
  await pool.end();
});

async function createQueue(tenantId: string, serviceLevelSec?: number): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `insert into queues (tenant_id, name, config) values ($1, $2, $3) returning id`,
    [tenantId, `q-${randomUUID()}`, serviceLevelSec === undefined ? {} : { serviceLevelSec }],
  );
  return rows[0]!.id;
}

const outcome = (
  tenantId: string,
  queueId: string,
  kind: 'answered' | 'abandoned',
  waitSec: number,
  minutesAgo: number,
  talkSec?: number,
) =>
  pool.query(
    `insert into acd_outcomes (id, tenant_id, entry_id, queue_id, kind, enqueued_at, at, wait_sec, talk_sec)
     values ($1, $2, $1, $3, $4, now() - make_interval(mins => $5), now() - make_interval(mins => $5), $6, $7)`,
    [randomUUID(), tenantId, queueId, kind, minutesAgo, waitSec, talkSec ?? null],
  );

/** Counts the queries a read sends: what one tick of the publisher costs the database. */
function counting(inner: Pool): { pool: Pool; queries: () => number } {
  let n = 0;
  const pool = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'query')
        return (...args: unknown[]) => {
          n++;
          return (target.query as (...a: unknown[]) => unknown)(...args);
        };
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return { pool, queries: () => n };
}

test('every queue of every tenant in a fixed number of queries, with the figures a single queue reads', async () => {
  const [a, b] = tenants as [string, string];
  const strict = await createQueue(a, 10);
  const lenient = await createQueue(a);
  const other = await createQueue(b, 30);
  const idle = await Promise.all(Array.from({ length: 40 }, () => createQueue(b)));
  const deleted = await createQueue(a);
  await pool.query('update queues set deleted_at = now() where id = $1', [deleted]);

  // strict (10 s): in the last 15 min one in time, one late, one abandon; 40 min ago one in time.
  await outcome(a, strict, 'answered', 5, 2, 60);
  await outcome(a, strict, 'answered', 15, 5, 120);
  await outcome(a, strict, 'abandoned', 40, 10);
  await outcome(a, strict, 'answered', 8, 40, 30);
  await outcome(a, strict, 'answered', 1, 90, 999); // over an hour ago: counts nowhere
  // lenient (default 20 s): the 15 s wait is in time here.
  await outcome(a, lenient, 'answered', 15, 3);
  await outcome(b, other, 'abandoned', 3, 1);
  await pool.query(
    `insert into acd_entries (tenant_id, entry_id, queue_id, kind, priority, enqueued_at)
     values ($1, $2, $3, 'call', 50, now() - interval '42 seconds'), ($1, $4, $3, 'call', 50, now())`,
    [a, `e-${randomUUID()}`, strict, `e-${randomUUID()}`],
  );
  const agent = (tenantId: string, state: string, queueIds: string[]) =>
    pool.query(
      `insert into acd_agents (tenant_id, agent_id, name, endpoint, queue_ids, state, since)
       values ($1, $2, 'x', 'Local/x', $3, $4, now())`,
      [tenantId, randomUUID(), queueIds, state],
    );
  await agent(a, 'available', [strict, lenient]);
  await agent(a, 'on_call', [strict]);
  await agent(b, 'not_ready', [other]);

  const few = counting(pool);
  const all = await readQueueStats(few.pool, 'all');
  const mine = new Map(all.filter((s) => tenants.includes(s.tenantId)).map((s) => [s.queueId, s]));
  expect(mine.size).toBe(43);
  expect(mine.has(deleted)).toBe(false);
  // Four queries for 43 queues here and for every other queue in this database; per queue it was four each.
  expect(few.queries()).toBe(4);

  expect(mine.get(strict)).toMatchObject({
    tenantId: a,
    waiting: 2,
    agents: { available: 1, on_call: 1, not_ready: 0 },
    serviceLevel: { last15m: 0.333, last60m: 0.5 },
    answered60m: 3,
    abandoned60m: 1,
    averageHandleSec: 70,
  });
  expect(mine.get(strict)!.longestWaitSec).toBeGreaterThanOrEqual(42);
  expect(mine.get(lenient)).toMatchObject({
    waiting: 0,
    longestWaitSec: 0,
    agents: { available: 1, on_call: 0 },
    serviceLevel: { last15m: 1, last60m: 1 },
    averageHandleSec: null,
  });
  expect(mine.get(other)).toMatchObject({
    tenantId: b,
    agents: { not_ready: 1 },
    serviceLevel: { last15m: 0, last60m: 0 },
  });
  expect(mine.get(idle[0]!)).toMatchObject({ waiting: 0, serviceLevel: { last15m: null, last60m: null } });

  // The API's single-queue read gives the same figures, without the tenant.
  const { tenantId: _t, at: _at, ...figures } = mine.get(strict)!;
  const { at: _at2, ...single } = await queueStats(pool, a, strict);
  expect({ ...single, longestWaitSec: 0 }).toEqual({ ...figures, longestWaitSec: 0 });
  // Another tenant's queue id reads nothing.
  await expect(queueStats(pool, b, strict)).rejects.toThrow(/does not exist/);

  const agents = await agentStatesByTenant(pool, tenants);
  expect(agents.get(a)).toHaveLength(2);
  expect(agents.get(b)).toHaveLength(1);
});

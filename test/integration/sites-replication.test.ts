/**
 * Issue #16: configuration replicated both ways between two sites' own PostgreSQL 18 (logical replication
 * with origin = none, lib/sites/replication.ts). A change at either site reaches the other and comes back
 * to neither; the same row changed at both converges to one winner, chosen the same way at both, and the
 * loser is recorded; the same natural key inserted at both never stops replication.
 */
import type pg from 'pg';
import { beat, replicationLag } from '../../lib/sites/replication';
import { partitioned, startTwoSites, stopTwoSites, type TestSite } from '../support/sites';

let A: TestSite;
let B: TestSite;
beforeAll(async () => {
  [A, B] = await startTwoSites(['xsa', 'xsb'], [5452, 5453]);
}, 900_000);
afterAll(async () => {
  await stopTwoSites([A, B].filter(Boolean));
});

/** Until `query` returns a row that `done` accepts, at `pool`. */
async function until<T extends pg.QueryResultRow>(
  pool: pg.Pool,
  query: string,
  params: unknown[],
  done: (rows: T[]) => boolean,
  timeoutMs = 30_000,
): Promise<T[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query<T>(query, params);
    if (done(rows)) return rows;
    if (Date.now() > end)
      throw new Error(`not replicated in ${timeoutMs} ms: ${query} ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const tenantRow = (pool: pg.Pool, id: string) =>
  pool.query<{ name: string; version: number; updated_site: string }>(
    'select name, version, updated_site from tenants where id = $1',
    [id],
  );

test('a change at either site reaches the other, once, and never comes back', async () => {
  await A.pool.query(`insert into tenants (id, name) values ('site-t1', 'made at A')`);
  await until(B.pool, 'select 1 from tenants where id = $1', ['site-t1'], (r) => r.length === 1);
  await B.pool.query(`update tenants set name = 'changed at B' where id = 'site-t1'`);
  await until(
    A.pool,
    'select name from tenants where id = $1',
    ['site-t1'],
    (r) => r[0]?.name === 'changed at B',
  );
  // Stamped where it was written; the version moved once per change, at both sites alike.
  const [atA, atB] = await Promise.all([tenantRow(A.pool, 'site-t1'), tenantRow(B.pool, 'site-t1')]);
  expect(atA.rows[0]).toEqual({ name: 'changed at B', version: 2, updated_site: 'xsb' });
  expect(atB.rows[0]).toEqual(atA.rows[0]);
  // No loop: a second later nothing has changed it again at either site.
  await new Promise((r) => setTimeout(r, 1000));
  expect((await tenantRow(A.pool, 'site-t1')).rows[0]).toEqual(atA.rows[0]);
  expect((await tenantRow(B.pool, 'site-t1')).rows[0]).toEqual(atA.rows[0]);

  // A flow's queue made at B, deleted (softly) at A: both see the deletion.
  const { rows } = await B.pool.query<{ id: string }>(
    `insert into queues (tenant_id, name, config) values ('site-t1', 'sales', '{}') returning id`,
  );
  await until(A.pool, 'select 1 from queues where id = $1', [rows[0]!.id], (r) => r.length === 1);
  await A.pool.query('update queues set deleted_at = now() where id = $1', [rows[0]!.id]);
  await until(
    B.pool,
    'select deleted_at from queues where id = $1',
    [rows[0]!.id],
    (r) => !!r[0]?.deleted_at,
  );
}, 60_000);

test('the same row changed at both sites at once converges to one winner, and the loser is recorded at both', async () => {
  await A.pool.query(`insert into tenants (id, name) values ('site-t2', 'base')`);
  await until(B.pool, 'select 1 from tenants where id = $1', ['site-t2'], (r) => r.length === 1);
  // Both change version 1 before either hears of the other's change.
  await partitioned([A, B], async () => {
    await A.pool.query(`update tenants set name = 'A wrote this' where id = 'site-t2'`);
    await B.pool.query(`update tenants set name = 'B wrote this' where id = 'site-t2'`);
  });
  const same = async () => {
    const [a, b] = await Promise.all([tenantRow(A.pool, 'site-t2'), tenantRow(B.pool, 'site-t2')]);
    return JSON.stringify(a.rows) === JSON.stringify(b.rows) ? a.rows[0] : undefined;
  };
  let winner: Awaited<ReturnType<typeof same>>;
  for (let i = 0; i < 600 && !winner; i++) {
    winner = await same();
    if (!winner) await new Promise((r) => setTimeout(r, 50));
  }
  expect(winner).toBeDefined();
  expect(['A wrote this', 'B wrote this']).toContain(winner!.name);
  const loser = winner!.name === 'A wrote this' ? 'B wrote this' : 'A wrote this';
  // The site whose write lost recorded it, and so did the site that refused the loser's change.
  for (const site of [A, B]) {
    const { rows } = await site.pool.query<{ kept: { name: string }; lost: { name: string } }>(
      `select kept, lost from replication_conflicts where table_name = 'tenants' and kept ->> 'id' = 'site-t2'`,
    );
    expect(rows.map((r) => [r.kept.name, r.lost.name])).toContainEqual([winner!.name, loser]);
  }
}, 60_000);

test('the same number provisioned at both sites at once never stops replication: one stays at both', async () => {
  await A.pool.query(`insert into tenants (id, name) values ('site-t3', 'numbers')`);
  await until(B.pool, 'select 1 from tenants where id = $1', ['site-t3'], (r) => r.length === 1);
  await partitioned([A, B], async () => {
    await A.pool.query(
      `insert into dnc_numbers (tenant_id, phone, reason) values ('site-t3', '5550100', 'asked at A')`,
    );
    await B.pool.query(
      `insert into dnc_numbers (tenant_id, phone, reason) values ('site-t3', '5550100', 'asked at B')`,
    );
  });

  const reasons = async (pool: pg.Pool) =>
    (await pool.query<{ reason: string }>(`select reason from dnc_numbers where tenant_id = 'site-t3'`)).rows;
  for (let i = 0; i < 600; i++) {
    const [a, b] = await Promise.all([reasons(A.pool), reasons(B.pool)]);
    if (a.length === 1 && JSON.stringify(a) === JSON.stringify(b)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const [a, b] = await Promise.all([reasons(A.pool), reasons(B.pool)]);
  expect(a).toHaveLength(1);
  expect(b).toEqual(a);
  // Replication goes on: a later change still arrives, and neither apply worker has failed.
  await B.pool.query(`insert into dnc_numbers (tenant_id, phone) values ('site-t3', '5550101')`);
  await until(A.pool, `select 1 from dnc_numbers where phone = '5550101'`, [], (r) => r.length === 1);
  for (const site of [A, B]) {
    const { rows } = await site.pool.query<{ apply_error_count: string }>(
      'select apply_error_count from pg_stat_subscription_stats',
    );
    expect(rows.map((r) => Number(r.apply_error_count))).toEqual([0]);
  }
}, 60_000);

test('each site sees how far the other lags, from its heartbeats', async () => {
  for (let i = 0; i < 5; i++) {
    await Promise.all([beat(A.pool, 'xsa'), beat(B.pool, 'xsb')]);
    await new Promise((r) => setTimeout(r, 200));
  }
  const lagAtB = await until(
    B.pool,
    'select applied_at from site_heartbeats where site = $1',
    ['xsa'],
    (r) => !!r[0]?.applied_at,
  );
  expect(lagAtB).toHaveLength(1);
  const [ab, ba] = [await replicationLag(B.pool, 'xsa'), await replicationLag(A.pool, 'xsb')];
  expect(ab).toBeGreaterThanOrEqual(0);
  expect(ba).toBeGreaterThanOrEqual(0);
}, 60_000);

test('the same keys inserted at both sites at the same moment, while replication streams, never fail an apply', async () => {
  // Without the key locks of replication.sql an applied insert could miss a local insert not yet committed
  // and fail on the unique index ("insert_exists"): the apply worker stopped, and everything waited.
  await A.pool.query(`insert into tenants (id, name) values ('site-t4', 'racing')`);
  await until(B.pool, 'select 1 from tenants where id = $1', ['site-t4'], (r) => r.length === 1);
  const phones = Array.from({ length: 150 }, (_, i) => `5559${String(i).padStart(3, '0')}`);
  const insertAll = (site: TestSite) =>
    Promise.all(
      [0, 1, 2].map(async (lane) => {
        for (const phone of phones.filter((_, i) => i % 3 === lane)) {
          await site.pool.query(
            `insert into dnc_numbers (tenant_id, phone, reason) values ('site-t4', $1, $2) on conflict do nothing`,
            [phone, `at ${site.site}`],
          );
        }
      }),
    );
  await Promise.all([insertAll(A), insertAll(B)]);
  const listed = async (pool: pg.Pool) =>
    (
      await pool.query<{ phone: string; reason: string }>(
        `select phone, reason from dnc_numbers where tenant_id = 'site-t4' order by phone`,
      )
    ).rows;
  for (let i = 0; i < 600; i++) {
    const [a, b] = await Promise.all([listed(A.pool), listed(B.pool)]);
    if (a.length === phones.length && JSON.stringify(a) === JSON.stringify(b)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const [a, b] = await Promise.all([listed(A.pool), listed(B.pool)]);
  expect(a).toHaveLength(phones.length);
  expect(b).toEqual(a);
  for (const site of [A, B]) {
    const { rows } = await site.pool.query<{ apply_error_count: string }>(
      'select apply_error_count from pg_stat_subscription_stats',
    );
    expect(rows.map((r) => Number(r.apply_error_count))).toEqual([0]);
  }
}, 60_000);

test('a campaign made at A gets contacts uploaded at both sites and attempts recorded at both: ids never meet, both sites hold every row', async () => {
  await A.pool.query(`insert into tenants (id, name) values ('site-t5', 'campaigns')`);
  const { rows } = await A.pool.query<{ id: string }>(
    `insert into campaigns (tenant_id, name, config) values ('site-t5', 'spring', '{}') returning id`,
  );
  const campaign = rows[0]!.id;
  await until(B.pool, 'select 1 from campaigns where id = $1', [campaign], (r) => r.length === 1);
  const upload = (site: TestSite, phones: string[]) =>
    Promise.all(
      phones.map((phone) =>
        site.pool.query(
          `insert into campaign_contacts (campaign_id, phone, time_zone) values ($1, $2, 'UTC')`,
          [campaign, phone],
        ),
      ),
    );
  // At the same moment at both: each site numbers its own rows (A 1, 11, 21…; B 2, 12, 22…).
  await Promise.all([upload(A, ['701', '702', '703']), upload(B, ['704', '705', '706'])]);
  const contacts = (pool: pg.Pool) =>
    until<{ id: string; phone: string }>(
      pool,
      'select id, phone from campaign_contacts where campaign_id = $1 order by phone',
      [campaign],
      (r) => r.length === 6,
    );
  const atA = await contacts(A.pool);
  expect(await contacts(B.pool)).toEqual(atA);
  expect(atA.map((c) => Number(c.id) % 10)).toEqual([1, 1, 1, 2, 2, 2]);

  // The attempt of a contact uploaded at B recorded at A, and the other way round.
  const attempt = (site: TestSite, contact: { id: string }, callId: string) =>
    site.pool.query(
      `insert into campaign_attempts (campaign_id, contact_id, attempt, call_id, started_at)
       values ($1, $2, 1, $3, now())`,
      [campaign, contact.id, callId],
    );
  await Promise.all([attempt(A, atA[3]!, 'site-t5-a'), attempt(B, atA[0]!, 'site-t5-b')]);
  const attempts = (pool: pg.Pool) =>
    until<{ id: string; call_id: string }>(
      pool,
      'select id, call_id from campaign_attempts where campaign_id = $1 order by call_id',
      [campaign],
      (r) => r.length === 2,
    );
  const attemptsAtA = await attempts(A.pool);
  expect(await attempts(B.pool)).toEqual(attemptsAtA);
  expect(attemptsAtA.map((a) => Number(a.id) % 10)).toEqual([1, 2]);

  // Deleting the campaign at B deletes its contacts and attempts at A too (the cascade's rows replicate).
  await B.pool.query('delete from campaigns where id = $1', [campaign]);
  await until(A.pool, 'select 1 from campaign_contacts where campaign_id = $1', [campaign], (r) => !r.length);
  await until(A.pool, 'select 1 from campaign_attempts where campaign_id = $1', [campaign], (r) => !r.length);
}, 60_000);

/**
 * Two sites' own PostgreSQL 18 (scripts/site-postgres.sh), each with CTICloud's schema, replicating its
 * configuration to the other (lib/sites/replication.ts). The test's sites have names and ports of their own.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { migrate } from '../../lib/db';
import { streaming } from '../../lib/sites/bring-up';
import { prepareSite, subscribe } from '../../lib/sites/replication';

const run = promisify(execFile);
const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'site-postgres.sh');

export interface TestSite {
  site: string;
  url: string;
  pool: pg.Pool;
}

async function startSite(site: string, port: number, index: number): Promise<TestSite> {
  // A clean database each run: what an earlier run left would meet this run's rows.
  await run('bash', [SCRIPT, 'drop', site], { timeout: 60_000 });
  const { stdout } = await run('bash', [SCRIPT, 'start', site, String(port)], { timeout: 900_000 });
  const url = stdout.trim().split('\n').at(-1)!;
  const pool = new pg.Pool({ connectionString: url, max: 6 });
  await migrate(pool);
  await prepareSite(pool, index);
  return { site, url, pool };
}

/** Both sites, each subscribed to the other, streaming. */
export async function startTwoSites(
  [a, b]: [string, string],
  [portA, portB]: [number, number],
): Promise<[TestSite, TestSite]> {
  const sites = await Promise.all([startSite(a, portA, 1), startSite(b, portB, 2)]);
  const [siteA, siteB] = sites;
  // Both start from the same rows (the migrations'), so neither copies the other's.
  await subscribe(siteA.pool, { site: b, url: siteB.url }, false);
  await subscribe(siteB.pool, { site: a, url: siteA.url }, false);
  for (const s of sites) await streaming(s.pool);
  return [siteA, siteB];
}

export async function stopTwoSites(sites: TestSite[] | undefined): Promise<void> {
  for (const s of sites ?? []) {
    await s.pool.end().catch(() => undefined);
    await run('bash', [SCRIPT, 'stop', s.site], { timeout: 60_000 }).catch(() => undefined);
  }
}

/** Runs `writes` while neither site hears the other (both subscriptions disabled), as in a partition. */
export async function partitioned(
  sites: [TestSite, TestSite],
  writes: () => Promise<unknown>,
): Promise<void> {
  const [a, b] = sites;
  const subscriptions: [TestSite, string][] = [
    [a, `cticloud_from_${b.site}`],
    [b, `cticloud_from_${a.site}`],
  ];
  for (const [s, name] of subscriptions) await s.pool.query(`alter subscription ${name} disable`);
  try {
    await writes();
  } finally {
    for (const [s, name] of subscriptions) await s.pool.query(`alter subscription ${name} enable`);
  }
}

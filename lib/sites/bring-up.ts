/**
 * Two sites brought up as a pair (docs/architecture.md, "Two sites"): each site's infrastructure from
 * scripts/site.sh, CTICloud's schema at both, their Temporal clusters connected with each site's namespace
 * replicated to the other, their configuration subscribed both ways, and the bootstrap tenant written at the
 * first site only so that it reaches the second by replication. `npm start -- --sites 2` and the tests'
 * two-site stacks both use it.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ensureBootstrap, ensureDefaultNumbers } from '../api-keys';
import type { Config } from '../config';
import { migrate } from '../db';
import { prepareSite, subscribe } from './replication';

const run = promisify(execFile);
const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'site.sh');

/** A site's settings for CTICloud's processes, as scripts/site.sh prints them. */
export interface SiteEnv {
  SITE: string;
  DATABASE_URL: string;
  NATS_URL: string;
  NATS_MONITOR_PORT: string;
  ARI_URL: string;
  ASTERISK_NODE: string;
  TEMPORAL_ADDRESS: string;
  TEMPORAL_NAMESPACE: string;
  TEMPORAL_CLUSTER: string;
  API_PORT: string;
}

export interface SitePlace {
  /** a-z0-9, up to 16. */
  site: string;
  /** 1..9: where its ports are (scripts/site.sh). */
  index: number;
}

export function parseSiteEnv(output: string): SiteEnv {
  const env: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) env[match[1]!] = match[2]!;
  }
  for (const key of ['SITE', 'DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'ARI_URL'] as const) {
    if (!env[key]) throw new Error(`scripts/site.sh printed no ${key}: ${output}`);
  }
  return env as unknown as SiteEnv;
}

const site = (args: string[], timeout = 900_000) =>
  run('bash', [SCRIPT, ...args], { timeout, maxBuffer: 1 << 20 });

/** Starts what of the site is not running, and answers its settings. */
export async function startSiteInfrastructure(place: SitePlace): Promise<SiteEnv> {
  const { stdout } = await site(['start', place.site, String(place.index)]);
  return parseSiteEnv(stdout);
}

/** kill -9 of every process of the site, CTICloud's own included (spawned as `<name>-site-<site>`). */
export async function killSite(name: string): Promise<void> {
  await site(['kill', name], 60_000);
}

export async function stopSite(name: string): Promise<void> {
  await site(['stop', name], 120_000);
}

/** Stops the site and removes its data: the next start is a new site. */
export async function dropSite(name: string): Promise<void> {
  await site(['drop', name], 120_000);
}

/**
 * Makes two running sites a pair. Idempotent: a pair brought up before keeps its subscriptions (their
 * replication slots hold what the other site has not yet received).
 */
export async function pairSites(
  [a, b]: [SitePlace & { env: SiteEnv }, SitePlace & { env: SiteEnv }],
  bootstrap: Pick<Config, 'DEFAULT_TENANT' | 'ADMIN_API_KEY' | 'OPERATOR_API_KEY' | 'DEFAULT_TENANT_NUMBERS'>,
): Promise<void> {
  const pools = [a, b].map((s) => new pg.Pool({ connectionString: s.env.DATABASE_URL, max: 2 }));
  const [poolA, poolB] = pools as [pg.Pool, pg.Pool];
  try {
    for (const [i, pool] of pools.entries()) {
      await migrate(pool);
      await prepareSite(pool, [a, b][i]!.index);
    }
    await site(['connect', a.site, String(a.index), b.env.TEMPORAL_ADDRESS]);
    await site(['connect', b.site, String(b.index), a.env.TEMPORAL_ADDRESS]);
    // Both start from the migrations' rows, so neither copies the other's.
    await subscribe(poolA, { site: b.site, url: b.env.DATABASE_URL }, false);
    await subscribe(poolB, { site: a.site, url: a.env.DATABASE_URL }, false);
    await Promise.all(pools.map((pool) => streaming(pool)));
    // Written once, at A: B receives the same rows (ids included) instead of making its own.
    await ensureBootstrap(
      poolA,
      bootstrap.DEFAULT_TENANT,
      bootstrap.ADMIN_API_KEY,
      bootstrap.OPERATOR_API_KEY,
    );
    await ensureDefaultNumbers(poolA, bootstrap.DEFAULT_TENANT, bootstrap.DEFAULT_TENANT_NUMBERS);
    await until(poolB, 'select 1 from tenants where id = $1', [bootstrap.DEFAULT_TENANT]);
  } finally {
    await Promise.all(pools.map((pool) => pool.end()));
  }
}

/** The environment of a site's own processes: its settings, and the peer's frontend to fall back on. */
/**
 * Each site's metrics ports, apart from every other site's on this box: 6500 above its API port (site a on
 * 3010: gateway 9510, worker 9511 and its SDK 9512, takeover worker 9513 and its SDK 9514).
 */
export function siteMetricsPorts(env: SiteEnv, role: 'site' | 'takeover'): Record<string, string> {
  const base = Number(env.API_PORT) + 6500;
  return role === 'site'
    ? {
        GATEWAY_METRICS_PORT: String(base),
        WORKER_METRICS_PORT: String(base + 1),
        TEMPORAL_SDK_METRICS_PORT: String(base + 2),
      }
    : { WORKER_METRICS_PORT: String(base + 3), TEMPORAL_SDK_METRICS_PORT: String(base + 4) };
}

export function siteProcessEnv(env: SiteEnv, peer: SiteEnv): Record<string, string> {
  return {
    ...(env as unknown as Record<string, string>),
    ...siteMetricsPorts(env, 'site'),
    TEMPORAL_FALLBACK_ADDRESSES: peer.TEMPORAL_ADDRESS,
    TEMPORAL_PEER_NAMESPACE: peer.TEMPORAL_NAMESPACE,
    PEER_SITE: peer.SITE,
    PEER_API_URL: `http://127.0.0.1:${peer.API_PORT}`,
  };
}

/**
 * The environment of the site's takeover worker: the peer's namespace, run with this site's database,
 * Asterisk and NATS while that namespace is active on this site's cluster (workers/takeover.ts). It never
 * falls back to the peer's frontend: it exists for when the peer is gone.
 */
export function takeoverProcessEnv(env: SiteEnv, peer: SiteEnv): Record<string, string> {
  return {
    ...(env as unknown as Record<string, string>),
    ...siteMetricsPorts(env, 'takeover'),
    TEMPORAL_NAMESPACE: peer.TEMPORAL_NAMESPACE,
    // Routing at this site may offer its agents to this site's own callers too (lib/acd/dispatch.ts).
    TEMPORAL_PEER_NAMESPACE: env.TEMPORAL_NAMESPACE,
    WORKER_ROLE: 'takeover',
    TEMPORAL_FALLBACK_ADDRESSES: '',
    // Watched for an automatic failover, when SITE_AUTO_FAILOVER_SEC is set (lib/sites/auto-failover.ts).
    PEER_SITE: peer.SITE,
    PEER_API_URL: `http://127.0.0.1:${peer.API_PORT}`,
  };
}

/** Until the site's subscription has an apply worker that has heard from its publisher. */
export async function streaming(pool: pg.Pool, timeoutMs = 60_000): Promise<void> {
  await until(
    pool,
    'select 1 from pg_stat_subscription where pid is not null and last_msg_receipt_time is not null',
    [],
    timeoutMs,
  );
}

async function until(pool: pg.Pool, sql: string, params: unknown[], timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pool.query(sql, params)).rowCount) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${sql}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

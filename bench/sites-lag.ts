/**
 * npm run bench -- sites-lag [--seconds 60] [--load 20] [--probe-ms 250]
 * Issue #16's target: a change made through either site's API is served by the other's within 2 s (p99),
 * both directions. Two sites of the bench's own (la, lb at indexes 5 and 6 of scripts/site.sh) with a
 * gateway each; a probe creates a queue at one site and asks the other's API for it every 10 ms, from the
 * 2xx of the write to the first 200 of the read, alternating directions. Measured idle first (the baseline),
 * then while both sites take `--load` other configuration writes per second each (DNC entries, new
 * queues), in the same run. The heartbeat lag (lib/sites/replication.ts) is sampled alongside.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../lib/config';
import {
  dropSite,
  pairSites,
  siteProcessEnv,
  startSiteInfrastructure,
  stopSite,
  type SiteEnv,
} from '../lib/sites/bring-up';
import { beat, replicationLag } from '../lib/sites/replication';
import { ManagedProcess } from '../test/support/process';
import { summarize } from './stats';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    load: { type: 'string', default: '20' },
    'probe-ms': { type: 'string', default: '250' },
    keep: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const LOAD = Number(values.load);
const PROBE_MS = Number(values['probe-ms']);
const PLACES = [
  { site: 'la', index: 5 },
  { site: 'lb', index: 6 },
] as const;
const config = loadConfig();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function client(env: SiteEnv) {
  const base = `http://${config.API_HOST}:${env.API_PORT}`;
  return async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${config.ADMIN_API_KEY}`);
    if (init.body) headers.set('content-type', 'application/json');
    const response = await fetch(`${base}${path}`, { ...init, headers });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
}
type Api = ReturnType<typeof client>;
let unique = 0;
const queueBody = () =>
  JSON.stringify({ name: `lag ${Date.now()} ${unique++}`, wrapUpSec: 1, ringTimeoutSec: 5 });

/** One change at `from`, served by `to`: ms from the write's 2xx to the first read that finds it. */
async function probe(from: Api, to: Api): Promise<number> {
  const made = await from('/v1/queues', { method: 'POST', body: queueBody() });
  if (made.status !== 201) throw new Error(`queue not created: ${made.status} ${JSON.stringify(made.body)}`);
  const start = performance.now();
  for (;;) {
    if ((await to(`/v1/queues/${made.body.id}`)).status === 200) return performance.now() - start;
    if (performance.now() - start > 30_000) return Infinity;
    await sleep(10);
  }
}

/** `perSecond` configuration writes a second at `api` until `stop`: DNC entries and new queues. */
async function load(api: Api, perSecond: number, stop: { done: boolean }, counts: { writes: number }) {
  let i = 0;
  while (!stop.done) {
    const started = performance.now();
    const write =
      i % 2
        ? api('/v1/dnc', {
            method: 'POST',
            body: JSON.stringify({ numbers: [`+1415555${String(i % 10000).padStart(4, '0')}`] }),
          })
        : api('/v1/queues', { method: 'POST', body: queueBody() });
    const { status } = await write;
    if (status < 300) counts.writes++;
    i++;
    await sleep(Math.max(0, 1000 / perSecond - (performance.now() - started)));
  }
}

async function phase(name: string, apis: [Api, Api], pools: [pg.Pool, pg.Pool], withLoad: boolean) {
  const stop = { done: false };
  const counts = { writes: 0 };
  const loaders = withLoad ? apis.map((api) => load(api, LOAD, stop, counts)) : [];
  const lag: Record<'a→b' | 'b→a', number[]> = { 'a→b': [], 'b→a': [] };
  const heartbeat: number[] = [];
  const end = Date.now() + SECONDS * 1000;
  for (let i = 0; Date.now() < end; i++) {
    const [from, to] = i % 2 ? [apis[1], apis[0]] : apis;
    lag[i % 2 ? 'b→a' : 'a→b'].push(await probe(from, to));
    await Promise.all([beat(pools[0], PLACES[0].site), beat(pools[1], PLACES[1].site)]);
    const [ab, ba] = await Promise.all([
      replicationLag(pools[1], PLACES[0].site),
      replicationLag(pools[0], PLACES[1].site),
    ]);
    for (const ms of [ab, ba]) if (ms !== undefined) heartbeat.push(ms);
    await sleep(PROBE_MS);
  }
  stop.done = true;
  await Promise.all(loaders);
  // Apply errors restart a subscription's worker (after wal_retrieve_retry_interval): a stall to explain.
  const applyErrors = await Promise.all(
    pools.map(async (pool) =>
      Number(
        (
          await pool.query<{ n: string }>(
            'select coalesce(sum(apply_error_count), 0) as n from pg_stat_subscription_stats',
          )
        ).rows[0]!.n,
      ),
    ),
  );
  const result = {
    phase: name,
    applyErrors,
    loadWritesPerSec: withLoad ? Math.round((counts.writes / SECONDS) * 10) / 10 : 0,
    'a→b': summarize(lag['a→b']),
    'b→a': summarize(lag['b→a']),
    heartbeat: summarize(heartbeat),
  };
  console.log(JSON.stringify(result));
  return result;
}

async function main(): Promise<void> {
  for (const p of PLACES) await dropSite(p.site);
  const envs = (await Promise.all(PLACES.map((p) => startSiteInfrastructure(p)))) as [SiteEnv, SiteEnv];
  await pairSites(
    [
      { ...PLACES[0], env: envs[0] },
      { ...PLACES[1], env: envs[1] },
    ],
    config,
  );
  const gateways = envs.map((env, i) =>
    new ManagedProcess(`bench-gateway-site-${env.SITE}`, 'gateway/server.ts', {
      ...siteProcessEnv(env, envs[1 - i]!),
      LOG_LEVEL: 'info',
    }).start(),
  );
  const pools = envs.map((e) => new pg.Pool({ connectionString: e.DATABASE_URL, max: 2 })) as [
    pg.Pool,
    pg.Pool,
  ];
  try {
    await Promise.all(gateways.map((g) => g.waitFor(/Server listening/, 90_000)));
    const apis = envs.map(client) as [Api, Api];
    await phase('warm-up', apis, pools, false).catch(() => undefined);
    const idle = await phase('idle', apis, pools, false);
    const loaded = await phase('under load', apis, pools, true);
    console.log('\nchange at one site → served by the other site’s API (ms)');
    console.log('phase        load w/s  direction  n    p50    p99    max   | heartbeat p50/p99');
    for (const r of [idle, loaded]) {
      for (const d of ['a→b', 'b→a'] as const) {
        const s = r[d];
        console.log(
          `${r.phase.padEnd(12)} ${String(r.loadWritesPerSec).padStart(8)}  ${d.padEnd(9)} ${String(s.n).padStart(4)} ${String(s.p50).padStart(6)} ${String(s.p99).padStart(6)} ${String(s.max).padStart(6)}   | ${r.heartbeat.p50}/${r.heartbeat.p99}`,
        );
      }
    }
  } finally {
    await Promise.all(gateways.map((g) => g.stop()));
    await Promise.all(pools.map((p) => p.end()));
    // --keep: stopped with their data (each one's server.log under the chroot's /srv/cticloud-sites/<site>).
    for (const p of PLACES) await (values.keep ? stopSite(p.site) : dropSite(p.site)).catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

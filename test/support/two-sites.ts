/**
 * Two whole CTICloud sites on this box (lib/sites/bring-up.ts): each with its own PostgreSQL 18, NATS,
 * Asterisk node, Temporal cluster, and CTICloud's bridge, mirror, worker and gateway, paired so that
 * configuration and workflows replicate both ways. The test's sites have names and ports of their own.
 */
import { Client, Connection } from '@temporalio/client';
import type { RawAriClient } from 'ari-client';
import pg from 'pg';
import { connectAri } from '../../asterisk/ari';
import { AriCommands } from '../../asterisk/ari-commands';
import { loadConfig, type Config } from '../../lib/config';
import {
  dropSite,
  pairSites,
  siteProcessEnv,
  startSiteInfrastructure,
  takeoverProcessEnv,
  type SiteEnv,
  type SitePlace,
} from '../../lib/sites/bring-up';
import { ManagedProcess } from './process';
import { apiClient, ready } from './stack';

export interface SiteStack {
  site: string;
  env: SiteEnv;
  /** The configuration the site's processes run with. */
  config: Config;
  pool: pg.Pool;
  ari: AriCommands;
  rawAri: RawAriClient;
  /** A client of this site's own cluster, in this site's namespace. */
  temporal: Client;
  processes: ManagedProcess[];
  api(path: string, init?: RequestInit & { key?: string | null }): Promise<{ status: number; body: any }>;
  /** A client of this site's cluster for another namespace (the peer's, replicated here). */
  namespace(namespace: string): Client;
}

/** The integration tests' two sites (indexes 3 and 4 of scripts/site.sh; npm start uses 1-2, the benches 5-8). */
export const TEST_SITES = [
  { site: 'xa', index: 3 },
  { site: 'xb', index: 4 },
] as const satisfies readonly [SitePlace, SitePlace];

const PROCESSES = [
  ['bridge', 'asterisk/bridge.ts', {}, ready.bridge],
  ['bridge-mirror', 'asterisk/bridge.ts', { ARI_BRIDGE_ROLE: 'mirror' }, ready.bridge],
  // A site back from the dead stands by until its namespace fails back.
  ['worker', 'workers/worker.ts', {}, /"msg":"worker ready"|"msg":"standing by"/],
  ['gateway', 'gateway/server.ts', {}, ready.gateway],
  // The peer's namespace, standing by until a site failover makes it active here.
  ['worker-takeover', 'workers/worker.ts', 'takeover', /"msg":"standing by"|"msg":"active here"/],
] as const;

/** Starts CTICloud's processes for a site whose infrastructure runs. */
export async function startSiteProcesses(env: SiteEnv, peer: SiteEnv): Promise<ManagedProcess[]> {
  const base = siteProcessEnv(env, peer);
  const processes = PROCESSES.map(
    ([name, script, extra]) =>
      new ManagedProcess(
        `${name}-site-${env.SITE}`,
        script,
        extra === 'takeover' ? takeoverProcessEnv(env, peer) : { ...base, ...extra },
      ),
  );
  processes.forEach((p) => p.start());
  await Promise.all(processes.map((p, i) => p.waitFor(PROCESSES[i]![3], 90_000)));
  return processes;
}

export async function connectSite(env: SiteEnv, processes: ManagedProcess[]): Promise<SiteStack> {
  const config = loadConfig(env as unknown as Record<string, string>);
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 4 });
  // A site killed on purpose ends the idle connections: no reason to fail the test.
  pool.on('error', () => undefined);
  const rawAri = await connectAri({ url: env.ARI_URL, user: config.ARI_USER, password: config.ARI_PASSWORD });
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  const base = `http://${config.API_HOST}:${env.API_PORT}`;
  return {
    site: env.SITE,
    env,
    config,
    pool,
    ari: new AriCommands(rawAri),
    rawAri,
    temporal: new Client({ connection, namespace: env.TEMPORAL_NAMESPACE }),
    processes,
    namespace: (namespace) => new Client({ connection, namespace }),
    api: apiClient(base, config.ADMIN_API_KEY),
  };
}

/** Two fresh sites (what an earlier run left is dropped), paired, with CTICloud running at both. */
export async function startTwoSiteStack(places: [SitePlace, SitePlace]): Promise<[SiteStack, SiteStack]> {
  for (const place of places) await dropSite(place.site);
  const envs = await Promise.all(places.map((p) => startSiteInfrastructure(p)));
  const [envA, envB] = envs as [SiteEnv, SiteEnv];
  await pairSites(
    [
      { ...places[0], env: envA },
      { ...places[1], env: envB },
    ],
    loadConfig(),
  );
  const [processesA, processesB] = await Promise.all([
    startSiteProcesses(envA, envB),
    startSiteProcesses(envB, envA),
  ]);
  return Promise.all([connectSite(envA, processesA), connectSite(envB, processesB)]);
}

/** Stops both sites' processes and infrastructure (their data is dropped at the next start). */
export async function stopTwoSiteStack(sites: (SiteStack | undefined)[], places: SitePlace[]): Promise<void> {
  for (const s of sites) {
    if (!s) continue;
    await Promise.all(s.processes.map((p) => p.stop()));
    s.rawAri.removeAllListeners();
    await s.temporal.connection.close().catch(() => undefined);
    await s.pool.end().catch(() => undefined);
  }
  for (const place of places) await dropSite(place.site).catch(() => undefined);
}

/** Until `read` at a site answers what `done` accepts; how long that took, in ms. */
export async function servedWithin(
  read: () => Promise<{ status: number; body: any }>,
  done: (r: { status: number; body: any }) => boolean,
  timeoutMs = 20_000,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    const answer = await read();
    if (done(answer)) return Date.now() - start;
    if (Date.now() - start > timeoutMs)
      throw new Error(`not served in ${timeoutMs} ms: ${JSON.stringify(answer).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

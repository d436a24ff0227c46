/**
 * Temporal clusters of their own for the tests and benchmarks that need two (scripts/temporal-server.sh, the
 * same script `npm start -- --clusters 2` uses), on ports and databases no other stack uses.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const STATE = path.join(process.env.CTICLOUD_CACHE ?? path.join(os.homedir(), '.cache', 'cticloud'), 'state');

export interface Cluster {
  /** Temporal's cluster name. */
  name: string;
  /** Frontend port; the cluster takes P to P+26 (clusters 100 apart never collide). */
  port: number;
  initialFailoverVersion: number;
  /** Its databases are `<dbPrefix>_temporal` and `<dbPrefix>_temporal_visibility`. */
  dbPrefix: string;
  /** The namespaces it creates (`<namespace>` and `<namespace>-test`), or receives when `replicated`. */
  namespace: string;
  replicated: boolean;
}

export const address = (c: Cluster): string => `127.0.0.1:${c.port}`;

/**
 * Two clusters `<name>-a` (active, creates `namespace`) and `<name>-b` (receives it), frontends on `port` and
 * `port + 100`, databases `cticloud_<name>_a|b_*`.
 */
export function clusterPair(name: string, port: number, namespace: string): [Cluster, Cluster] {
  const a: Cluster = {
    name: `${name}-a`,
    port,
    initialFailoverVersion: 1,
    dbPrefix: `cticloud_${name}_a`,
    namespace,
    replicated: false,
  };
  return [
    a,
    {
      ...a,
      name: `${name}-b`,
      port: port + 100,
      initialFailoverVersion: 2,
      dbPrefix: `cticloud_${name}_b`,
      replicated: true,
    },
  ];
}
const processName = (c: Cluster): string => `temporal-${c.name}`;

const env = (c: Cluster): NodeJS.ProcessEnv => ({
  ...process.env,
  CTI_CLUSTER: c.name,
  CTI_CLUSTER_INITIAL_VERSION: String(c.initialFailoverVersion),
  CTI_CLUSTER_DB_PREFIX: c.dbPrefix,
  CTI_CLUSTER_PROCESS: processName(c),
  CTI_CLUSTER_NAMESPACES: c.replicated ? 'replicated' : 'create',
  CTI_CLUSTER_UI: 'no',
  // Two more clusters beside the stack's own: small pools, so PostgreSQL's connections suffice.
  CTI_CLUSTER_PG_MAX_CONNS: '6',
  TEMPORAL_ADDRESS: address(c),
  TEMPORAL_NAMESPACE: c.namespace,
});

const script = (c: Cluster, ...args: string[]) =>
  run('bash', [path.join(ROOT, 'scripts/temporal-server.sh'), ...args], { env: env(c), cwd: ROOT });

const psql = (sql: string) => run('runuser', ['-u', 'postgres', '--', 'psql', '-qAtX', '-c', sql]);

/** Starts the cluster on the databases it has (a cluster coming back). */
export async function startCluster(c: Cluster): Promise<void> {
  await script(c, 'start');
}

/** Starts the cluster on fresh databases (whatever an earlier run left is dropped). */
export async function startFreshCluster(c: Cluster): Promise<void> {
  await stopCluster(c);
  for (const db of [`${c.dbPrefix}_temporal`, `${c.dbPrefix}_temporal_visibility`]) {
    await psql(`drop database if exists "${db}" with (force)`);
  }
  await script(c, 'start');
}

/** Connects both ways and replicates `a`'s namespaces to `b`. */
export async function connectClusters(a: Cluster, b: Cluster): Promise<void> {
  await script(a, 'connect', address(b));
}

export async function stopCluster(c: Cluster): Promise<void> {
  await script(c, 'stop');
}

/** The server process's pid, from the pid file scripts/lib.sh's spawn wrote. */
export function clusterPid(c: Cluster): number {
  return Number(readFileSync(path.join(STATE, 'run', `${processName(c)}.pid`), 'utf8').split(' ')[0]);
}

/** kill -9 of the server: a cluster lost at once. */
export function killCluster(c: Cluster): void {
  process.kill(clusterPid(c), 'SIGKILL');
}

/**
 * At two sites, a worker runs its namespace only while Temporal says it is active on this site's cluster:
 * a takeover worker (WORKER_ROLE=takeover) after `npm run failover -- site-a` moved the other site's
 * namespace here, and no longer once it has failed back; a site's own worker likewise after its site came
 * back, until the fail-back. The namespace's active cluster is the one truth both sites read, so no second
 * record of "who serves what" can disagree with it.
 */
import { Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Pool } from '../lib/db';
import type { Config } from '../lib/config';
import { askWitness, PEER_PROBE, watchPeer } from '../lib/sites/auto-failover';
import { heartbeatOf } from '../lib/sites/replication';
import { failover, listClusters } from '../lib/temporal-clusters';
import { probeFrontend } from '../lib/temporal-frontends';

export interface ActiveWatch {
  address: string;
  namespace: string;
  /** This site's cluster. */
  cluster: string;
  log: Logger;
  /** How often Temporal is asked. @default 1000 */
  intervalMs?: number;
}

/** The namespace's active cluster as the frontend at `address` knows it; undefined when it cannot say. */
async function activeCluster(connection: Connection, namespace: string): Promise<string | undefined> {
  const described = await connection.workflowService.describeNamespace({ namespace });
  return described.replicationConfig?.activeClusterName ?? undefined;
}

/**
 * Resolves once the namespace is active on `cluster`; rejects when `signal` aborts. A frontend that does not
 * answer is asked again: this site's cluster may be starting.
 */
export async function untilActiveHere(watch: ActiveWatch, signal: AbortSignal): Promise<void> {
  let connection: Connection | undefined;
  let logged = false;
  try {
    while (!signal.aborted) {
      try {
        connection ??= await Connection.connect({ address: watch.address, connectTimeout: 5000 });
        const active = await activeCluster(connection, watch.namespace);
        if (active === watch.cluster) return;
        if (!logged) {
          watch.log.info({ namespace: watch.namespace, active, here: watch.cluster }, 'standing by');
          logged = true;
        }
      } catch (err) {
        watch.log.debug({ err }, 'namespace not described; asking again');
      }
      await new Promise((r) => setTimeout(r, watch.intervalMs ?? 1000));
    }
    throw new Error('stopped while standing by');
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/**
 * Calls `onLeave` once, when the namespace is active on another cluster (a fail-back). A frontend that does
 * not answer is no reason to stop: the workers' own connections say whether they can go on.
 */
export function watchActiveHere(watch: ActiveWatch, onLeave: () => void): { stop(): Promise<void> } {
  let stopped = false;
  const done = (async () => {
    const connection = await Connection.connect({ address: watch.address, connectTimeout: 5000 });
    try {
      while (!stopped) {
        await new Promise((r) => setTimeout(r, watch.intervalMs ?? 1000));
        const active = await activeCluster(connection, watch.namespace).catch(() => undefined);
        if (active && active !== watch.cluster && !stopped) {
          watch.log.info({ namespace: watch.namespace, active }, 'namespace active elsewhere: stopping');
          onLeave();
          return;
        }
      }
    } finally {
      await connection.close().catch(() => undefined);
    }
  })().catch((err: unknown) => watch.log.warn({ err }, 'takeover watch failed'));
  return {
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/**
 * While a takeover worker stands by with SITE_AUTO_FAILOVER_SEC set: watches the other site on its three
 * paths (gateway, Temporal frontend, replicated heartbeat) and, once it is silent on all of them that long
 * and the witness agrees, fails its namespace over to this site's cluster (forced: the other cluster is
 * gone). Undefined when automatic failover is off.
 */
export function watchPeerForTakeover(
  config: Config,
  pool: Pool,
  log: Logger,
): { stop(): Promise<void> } | undefined {
  const { SITE_AUTO_FAILOVER_SEC, SITE_WITNESS_URL, PEER_SITE, PEER_API_URL } = config;
  if (!SITE_AUTO_FAILOVER_SEC || !SITE_WITNESS_URL || !PEER_SITE || !PEER_API_URL) return undefined;
  let local: Connection | undefined;
  let peerFrontend: Connection | undefined;
  const localConnection = async () =>
    (local ??= await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 5000 }));
  /** The other cluster's frontend, at the address this cluster's metadata gives for it. */
  const peerTemporal = async (): Promise<boolean> => {
    try {
      if (!peerFrontend) {
        const other = (await listClusters(await localConnection())).find(
          (c) => c.name !== config.TEMPORAL_CLUSTER,
        );
        if (!other) return false;
        peerFrontend = await Connection.connect({
          address: other.address,
          connectTimeout: PEER_PROBE.timeoutMs,
        });
      }
      return await probeFrontend(peerFrontend, PEER_PROBE.timeoutMs);
    } catch {
      return false;
    }
  };
  const peerApi = async (): Promise<boolean> => {
    try {
      return (await fetch(`${PEER_API_URL}/healthz`, { signal: AbortSignal.timeout(PEER_PROBE.timeoutMs) }))
        .ok;
    } catch {
      return false;
    }
  };
  const heartbeatAgeMs = async (): Promise<number | undefined> => {
    const beat = await heartbeatOf(pool, PEER_SITE).catch(() => undefined);
    return beat?.appliedAt ? Date.now() - beat.appliedAt.getTime() : undefined;
  };
  const watch = watchPeer({
    afterMs: SITE_AUTO_FAILOVER_SEC * 1000,
    log,
    observe: async () => {
      const [api, temporal, age] = await Promise.all([peerApi(), peerTemporal(), heartbeatAgeMs()]);
      return { api, temporal, heartbeatAgeMs: age };
    },
    askWitness: () => askWitness(SITE_WITNESS_URL, PEER_SITE),
    takeOver: async () => {
      const moved = await failover(await localConnection(), {
        namespace: config.TEMPORAL_NAMESPACE,
        cluster: config.TEMPORAL_CLUSTER!,
        mode: 'forced',
      });
      log.warn(
        {
          namespace: moved.namespace,
          from: moved.previousActiveCluster,
          to: moved.activeCluster,
          tookMs: moved.tookMs,
        },
        'automatic site failover done',
      );
    },
  });
  return {
    async stop() {
      await watch.stop();
      await Promise.all([local?.close(), peerFrontend?.close()].map((p) => p?.catch(() => undefined)));
    },
  };
}

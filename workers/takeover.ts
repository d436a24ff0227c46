/**
 * At two sites, a worker runs its namespace only while Temporal says it is active on this site's cluster:
 * a takeover worker (WORKER_ROLE=takeover) after `npm run failover -- site-a` moved the other site's
 * namespace here, and no longer once it has failed back; a site's own worker likewise after its site came
 * back, until the fail-back. The namespace's active cluster is the one truth both sites read, so no second
 * record of "who serves what" can disagree with it.
 */
import { Connection } from '@temporalio/client';
import type { Logger } from 'pino';

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

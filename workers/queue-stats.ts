import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { NatsConnection } from 'nats';
import type { Pool } from '../lib/db';
import type { Logger } from '../lib/logger';
import { acdWorkflowId, agentsQuery, queueStatsQuery } from '../workflows/acd/contract';

/** Subject of a queue's live statistics: `cticloud.<tenant>.queue.<queueId>.stats`. */
export const queueStatsSubject = (tenantId: string, queueId: string): string =>
  `cticloud.${tenantId}.queue.${queueId}.stats`;
/** Subject of a tenant's agents and their states: `cticloud.<tenant>.agents`. */
export const agentsSubject = (tenantId: string): string => `cticloud.${tenantId}.agents`;

/**
 * Pushes every queue's live statistics and the agents' states over NATS once a second, read from the
 * tenants' routing workflows. Plain NATS, not JetStream: a statistic a second old is worth nothing, so
 * there is nothing to keep. Several workers publishing the same figures is harmless.
 */
export function publishQueueStats(deps: {
  pool: Pool;
  client: Client;
  nc: NatsConnection;
  log: Logger;
  intervalMs?: number;
}): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const { rows } = await deps.pool.query<{ tenant_id: string; ids: string[] }>(
        `select tenant_id, array_agg(id::text) as ids from queues where deleted_at is null group by tenant_id`,
      );
      for (const { tenant_id: tenantId, ids } of rows) {
        const handle = deps.client.workflow.getHandle(acdWorkflowId(tenantId));
        try {
          const stats = await Promise.all(ids.map((id) => handle.query(queueStatsQuery, id)));
          stats.forEach((s) => deps.nc.publish(queueStatsSubject(tenantId, s.queueId), JSON.stringify(s)));
          deps.nc.publish(agentsSubject(tenantId), JSON.stringify(await handle.query(agentsQuery)));
        } catch (err) {
          // A tenant whose routing never started has nothing live to say.
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'queue statistics not published');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), deps.intervalMs ?? 1000);
  return () => clearInterval(timer);
}

import type { NatsConnection } from 'nats';
import type { Pool } from '../lib/db';
import type { Logger } from '../lib/logger';
import { agentStates, queueStats } from '../lib/acd/reads';

/** Subject of a queue's live statistics: `cticloud.<tenant>.queue.<queueId>.stats`. */
export const queueStatsSubject = (tenantId: string, queueId: string): string =>
  `cticloud.${tenantId}.queue.${queueId}.stats`;
/** Subject of a tenant's agents and their states: `cticloud.<tenant>.agents`. */
export const agentsSubject = (tenantId: string): string => `cticloud.${tenantId}.agents`;

/**
 * Pushes every queue's live statistics and the agents' states over NATS once a second, read from the
 * routing tables in PostgreSQL (never from a workflow). Plain NATS, not JetStream: a statistic a second old
 * is worth nothing, so there is nothing to keep. Several workers publishing the same figures is harmless.
 */
export function publishQueueStats(deps: {
  pool: Pool;
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
        const stats = await Promise.all(ids.map((id) => queueStats(deps.pool, tenantId, id)));
        stats.forEach((s) => deps.nc.publish(queueStatsSubject(tenantId, s.queueId), JSON.stringify(s)));
        deps.nc.publish(agentsSubject(tenantId), JSON.stringify(await agentStates(deps.pool, tenantId)));
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

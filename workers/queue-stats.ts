import type { NatsConnection } from 'nats';
import type { Pool } from '../lib/db';
import type { Logger } from '../lib/logger';
import { agentStatesByTenant } from '../lib/acd/reads';
import { readQueueStats } from '../lib/acd/queue-stats';

/** Subject of a queue's live statistics: `cticloud.<tenant>.queue.<queueId>.stats`. */
export const queueStatsSubject = (tenantId: string, queueId: string): string =>
  `cticloud.${tenantId}.queue.${queueId}.stats`;
/** Subject of a tenant's agents and their states: `cticloud.<tenant>.agents`. */
export const agentsSubject = (tenantId: string): string => `cticloud.${tenantId}.agents`;

/**
 * Pushes every queue's live statistics and the agents' states over NATS once a second, read from the
 * routing tables in PostgreSQL (never from a workflow). Plain NATS, not JetStream: a statistic a second old
 * is worth nothing, so there is nothing to keep. Several workers publishing the same figures is harmless.
 *
 * A tick is a fixed handful of queries however many queues there are, on the pool it is given: the worker
 * gives it a pool of its own, so a slow tick can never hold a connection that a call's activity waits for.
 */
export function publishQueueStats(deps: {
  pool: Pool;
  nc: NatsConnection;
  log: Logger;
  /** @default 1000 */
  intervalMs?: number;
}): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const stats = await readQueueStats(deps.pool, 'all');
      const tenants = [...new Set(stats.map((s) => s.tenantId))];
      const agents = await agentStatesByTenant(deps.pool, tenants);
      for (const { tenantId, ...figures } of stats)
        deps.nc.publish(queueStatsSubject(tenantId, figures.queueId), JSON.stringify(figures));
      for (const [tenantId, states] of agents)
        deps.nc.publish(agentsSubject(tenantId), JSON.stringify(states));
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'queue statistics not published');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), deps.intervalMs ?? 1000);
  return () => clearInterval(timer);
}

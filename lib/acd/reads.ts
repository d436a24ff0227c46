/**
 * What the API, the console, the statistics publisher and waiting callers read about routing: plain
 * queries on the routing tables, so reading never loads a workflow (the old design queried the tenant's
 * routing workflow every second per queue, and once per announcement per caller).
 */
import type { Pool } from '../db';
import {
  type AgentStatus,
  type EntryPosition,
  type QueueEntry,
  type QueueStats,
} from '../../domain/acd/model';
import { readQueueStats } from './queue-stats';
import { toAgentStatus, toQueueEntry, type AgentRow, type EntryRow } from './store';

/** Mean talk time of the queue's answered calls of the last hour; null while none has ended. */
async function averageHandleSec(pool: Pool, tenantId: string, queueId: string): Promise<number | null> {
  const { rows } = await pool.query<{ aht: number | null }>(
    `select avg(talk_sec)::float8 as aht from acd_outcomes
      where tenant_id = $1 and queue_id = $2 and kind = 'answered' and talk_sec is not null
        and at >= now() - interval '1 hour'`,
    [tenantId, queueId],
  );
  return rows[0]?.aht ?? null;
}

export async function agentStates(pool: Pool, tenantId: string): Promise<AgentStatus[]> {
  return (await agentStatesByTenant(pool, [tenantId])).get(tenantId) ?? [];
}

/** The agents of several tenants in one query, by tenant. */
export async function agentStatesByTenant(
  pool: Pool,
  tenantIds: string[],
): Promise<Map<string, AgentStatus[]>> {
  const { rows } = await pool.query<AgentRow>('select * from acd_agents where tenant_id = any($1::text[])', [
    tenantIds,
  ]);
  const byTenant = new Map<string, AgentStatus[]>(tenantIds.map((t) => [t, []]));
  for (const row of rows) byTenant.get(row.tenant_id)?.push(toAgentStatus(row));
  return byTenant;
}

export async function waitingEntries(pool: Pool, tenantId: string, queueId: string): Promise<QueueEntry[]> {
  const { rows } = await pool.query<EntryRow>(
    `select * from acd_entries where tenant_id = $1 and queue_id = $2
      order by priority desc, enqueued_at, entry_id limit 1000`,
    [tenantId, queueId],
  );
  return rows.map(toQueueEntry);
}

/** Agents of a queue who are available now: what progressive and predictive dialing pace by. */
export async function availableAgents(pool: Pool, tenantId: string, queueId: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from acd_agents
      where tenant_id = $1 and state = 'available' and $2::uuid = any(queue_ids)`,
    [tenantId, queueId],
  );
  return rows[0]!.n;
}

/**
 * Place in line among the queue's waiting entries, and the estimated wait: the callers ahead, each taking
 * an average handle time, shared among the agents staffing the queue. Null when the entry is not in line.
 */
export async function positionOf(
  pool: Pool,
  tenantId: string,
  entryId: string,
): Promise<EntryPosition | null> {
  const { rows } = await pool.query<{ queue_id: string; position: number; staffed: number }>(
    `select e.queue_id,
            (select count(*)::int from acd_entries o
              where o.tenant_id = e.tenant_id and o.queue_id = e.queue_id
                and (o.priority, e.enqueued_at, e.entry_id) > (e.priority, o.enqueued_at, o.entry_id)) + 1
              as position,
            (select count(*)::int from acd_agents a
              where a.tenant_id = e.tenant_id and e.queue_id = any(a.queue_ids)
                and a.state not in ('offline', 'not_ready')) as staffed
       from acd_entries e where e.tenant_id = $1 and e.entry_id = $2`,
    [tenantId, entryId],
  );
  const row = rows[0];
  if (!row) return null;
  const aht = await averageHandleSec(pool, tenantId, row.queue_id);
  return {
    position: row.position,
    estimatedWaitSec: aht === null ? null : Math.round((row.position * aht) / Math.max(1, row.staffed)),
  };
}

/** One queue's live figures; the publisher reads every queue's at once with readQueueStats. */
export async function queueStats(pool: Pool, tenantId: string, queueId: string): Promise<QueueStats> {
  const [stats] = await readQueueStats(pool, { tenantId, queueId });
  if (!stats) throw new Error(`queue ${queueId} of tenant ${tenantId} does not exist`);
  const { tenantId: _tenant, ...figures } = stats;
  return figures;
}

/**
 * Queue statistics read set-wise: the same five queries whether one queue is asked for (the API) or every
 * queue of every tenant (the once-a-second publisher). Reading queue by queue made the publisher send four
 * queries per queue per second; with a few hundred queues it queued over a thousand queries a second in
 * the worker's pool, ahead of the activities that place calls (a campaign's dial then left 100-300 ms after
 * its slot).
 */
import type { Pool } from '../db';
import { AgentState, type QueueStats } from '../../domain/acd/model';

/** Which queues to read: one queue of a tenant, or all of them (deleted queues never). */
export type QueueStatsScope = { tenantId: string; queueId: string } | 'all';

interface QueueRow {
  id: string;
  tenant_id: string;
  service_level_sec: number;
}

/** A queue's figures, with the tenant it belongs to (the publisher's subject names it). */
export interface TenantQueueStats extends QueueStats {
  tenantId: string;
}

const DEFAULT_SERVICE_LEVEL_SEC = 20;

export async function readQueueStats(pool: Pool, scope: QueueStatsScope): Promise<TenantQueueStats[]> {
  const [tenantId, queueId] = scope === 'all' ? [null, null] : [scope.tenantId, scope.queueId];
  // Every query takes the same two optional filters; null means every queue.
  const args = [tenantId, queueId];
  const { rows: queues } = await pool.query<QueueRow & { now: Date }>(
    `select id::text, tenant_id, now() as now,
            coalesce((config->>'serviceLevelSec')::int, ${DEFAULT_SERVICE_LEVEL_SEC}) as service_level_sec
       from queues
      where deleted_at is null and ($1::text is null or tenant_id = $1) and ($2::uuid is null or id = $2)`,
    args,
  );
  if (!queues.length) return [];
  const [lines, agents, outcomes] = await Promise.all([
    pool.query<{ queue_id: string; waiting: number; oldest: Date | null }>(
      `select queue_id::text, count(*)::int as waiting, min(enqueued_at) as oldest from acd_entries
        where ($1::text is null or tenant_id = $1) and ($2::uuid is null or queue_id = $2)
        group by queue_id`,
      args,
    ),
    pool.query<{ queue_id: string; state: AgentState; n: number }>(
      `select q.queue_id::text, a.state, count(*)::int as n
         from acd_agents a cross join lateral unnest(a.queue_ids) as q(queue_id)
        where ($1::text is null or a.tenant_id = $1) and ($2::uuid is null or q.queue_id = $2)
        group by q.queue_id, a.state`,
      args,
    ),
    // One pass over the last hour's outcomes: both windows, the in-time counts by each queue's own
    // service-level threshold, and the average talk time (the basis of estimated waits).
    pool.query<{
      queue_id: string;
      answered15: number;
      abandoned15: number;
      in_time15: number;
      answered60: number;
      abandoned60: number;
      in_time60: number;
      aht: number | null;
    }>(
      `select o.queue_id::text,
              count(*) filter (where o.kind = 'answered' and o.at >= now() - interval '15 minutes')::int as answered15,
              count(*) filter (where o.kind = 'abandoned' and o.at >= now() - interval '15 minutes')::int as abandoned15,
              count(*) filter (where o.kind = 'answered' and o.at >= now() - interval '15 minutes'
                                 and o.wait_sec <= coalesce((q.config->>'serviceLevelSec')::int, ${DEFAULT_SERVICE_LEVEL_SEC}))::int as in_time15,
              count(*) filter (where o.kind = 'answered')::int as answered60,
              count(*) filter (where o.kind = 'abandoned')::int as abandoned60,
              count(*) filter (where o.kind = 'answered'
                                 and o.wait_sec <= coalesce((q.config->>'serviceLevelSec')::int, ${DEFAULT_SERVICE_LEVEL_SEC}))::int as in_time60,
              (avg(o.talk_sec) filter (where o.kind = 'answered' and o.talk_sec is not null))::float8 as aht
         from acd_outcomes o join queues q on q.id = o.queue_id
        where o.at >= now() - interval '1 hour'
          and ($1::text is null or o.tenant_id = $1) and ($2::uuid is null or o.queue_id = $2)
        group by o.queue_id`,
      args,
    ),
  ]);
  const lineOf = new Map(lines.rows.map((r) => [r.queue_id, r]));
  const outcomesOf = new Map(outcomes.rows.map((r) => [r.queue_id, r]));
  const agentsOf = new Map<string, Record<AgentState, number>>();
  for (const r of agents.rows) {
    let counts = agentsOf.get(r.queue_id);
    if (!counts) agentsOf.set(r.queue_id, (counts = zeroCounts()));
    counts[r.state] = r.n;
  }
  return queues.map((q) => {
    const now = q.now;
    const line = lineOf.get(q.id);
    const o = outcomesOf.get(q.id);
    return {
      tenantId: q.tenant_id,
      queueId: q.id,
      waiting: line?.waiting ?? 0,
      longestWaitSec: line?.oldest ? Math.round((now.getTime() - line.oldest.getTime()) / 1000) : 0,
      agents: agentsOf.get(q.id) ?? zeroCounts(),
      serviceLevel: {
        last15m: level(o?.in_time15, o?.answered15, o?.abandoned15),
        last60m: level(o?.in_time60, o?.answered60, o?.abandoned60),
      },
      answered60m: o?.answered60 ?? 0,
      abandoned60m: o?.abandoned60 ?? 0,
      averageHandleSec: o?.aht == null ? null : Math.round(o.aht * 10) / 10,
      at: now.toISOString(),
    };
  });
}

function zeroCounts(): Record<AgentState, number> {
  return Object.fromEntries(Object.values(AgentState).map((s) => [s, 0])) as Record<AgentState, number>;
}

/** Share answered in time among answered and abandoned, to a tenth of a percent; null with neither. */
function level(inTime = 0, answered = 0, abandoned = 0): number | null {
  const total = answered + abandoned;
  return total ? Math.round((inTime / total) * 1000) / 1000 : null;
}

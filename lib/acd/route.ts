/**
 * One routing pass for a tenant: pairs waiting entries with available agents by the same pure rules the
 * routing workflow used (domain/acd/routing.ts), and books each pair in PostgreSQL. Passes of one tenant
 * are serialised by a transaction-scoped advisory lock, and the rows a pass books are locked with SKIP
 * LOCKED: an entry or agent another transaction is changing this instant is left to the pass that
 * transaction runs after it commits. Signalling the offers is the caller's job (./dispatch.ts), after
 * commit.
 */
import type pg from 'pg';
import type { Pool } from '../db';
import { AgentState, type QueueConfig } from '../../domain/acd/model';
import type { AgentOffer } from '../../workflows/acd/contract';
import { emptyState, route, type RoutedAgent } from '../../domain/acd/routing';
import { QueueSettings } from '../../domain/acd/settings';
import {
  inTransaction,
  toAgentStatus,
  toQueueEntry,
  type AgentChange,
  type AgentRow,
  type EntryRow,
} from './store';

/**
 * Entries looked at per pass, in serving order. More than the free agents can take only matters when the
 * first ones need skills nobody free has; those past this window wait for the next pass.
 * @default 500
 */
export const ROUTING_WINDOW = 500;

export interface BookedOffer {
  tenantId: string;
  entryId: string;
  offer: AgentOffer;
}

const lockKey = (tenantId: string) => `acd-route:${tenantId}`;

async function loadQueues(c: pg.PoolClient, tenantId: string, ids: string[]) {
  const { rows } = await c.query<{ id: string; name: string; config: unknown }>(
    'select id, name, config from queues where tenant_id = $1 and id = any($2::uuid[])',
    [tenantId, ids],
  );
  return Object.fromEntries(
    rows.map((r): [string, QueueConfig] => [
      r.id,
      { id: r.id, name: r.name, ...QueueSettings.parse(r.config) },
    ]),
  );
}

/** Books what can be booked now; returns the offers to signal and the agents it put on a call. */
export async function routeTenant(
  pool: Pool,
  tenantId: string,
): Promise<{ offers: BookedOffer[]; changes: AgentChange[] }> {
  return inTransaction(pool, async (c) => {
    await c.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [lockKey(tenantId)]);
    const agents = await c.query<AgentRow>(
      `select * from acd_agents where tenant_id = $1 and state = 'available' for update skip locked`,
      [tenantId],
    );
    if (!agents.rows.length) return { offers: [], changes: [] };
    const queueIds = [...new Set(agents.rows.flatMap((a) => a.queue_ids))];
    const entries = await c.query<EntryRow>(
      `select * from acd_entries
        where tenant_id = $1 and offer_id is null and hold_until is null and queue_id = any($2::uuid[])
        order by priority desc, enqueued_at, entry_id limit $3 for update skip locked`,
      [tenantId, queueIds, ROUTING_WINDOW],
    );
    if (!entries.rows.length) return { offers: [], changes: [] };
    const state = emptyState(tenantId);
    state.queues = await loadQueues(c, tenantId, [...new Set(entries.rows.map((e) => e.queue_id))]);
    state.waiting = entries.rows.map(toQueueEntry);
    for (const row of agents.rows) state.agents[row.agent_id] = toAgentStatus(row) as RoutedAgent;
    const robin = await c.query<{ queue_id: string; last_agent: string }>(
      'select queue_id, last_agent from acd_round_robin where tenant_id = $1',
      [tenantId],
    );
    for (const r of robin.rows) state.lastAgent[r.queue_id] = r.last_agent;

    const offers: BookedOffer[] = [];
    const changes: AgentChange[] = [];
    for (const { entry, agent } of route(state)) {
      const queue = state.queues[entry.queueId]!;
      const seq = await c.query<{ n: string }>(`select nextval('acd_offer_seq') as n`);
      const offerId = `${entry.entryId}#${seq.rows[0]!.n}`;
      await c.query(
        `update acd_entries set offer_id = $3, offered_agent = $4, offered_at = now(), offer_signals = 0
          where tenant_id = $1 and entry_id = $2`,
        [tenantId, entry.entryId, offerId, agent.id],
      );
      const booked = await c.query<{ since: Date }>(
        `update acd_agents set state = 'on_call', since = now(), reason = null, current_entry = $3,
                current_queue = $4, offer_id = $5, checked_at = now()
          where tenant_id = $1 and agent_id = $2 returning since`,
        [tenantId, agent.id, entry.entryId, queue.id, offerId],
      );
      await c.query(
        `insert into acd_round_robin (tenant_id, queue_id, last_agent) values ($1, $2, $3)
         on conflict (tenant_id, queue_id) do update set last_agent = excluded.last_agent`,
        [tenantId, queue.id, agent.id],
      );
      offers.push({
        tenantId,
        entryId: entry.entryId,
        offer: {
          offerId,
          agent: { id: agent.id, name: agent.name, endpoint: agent.endpoint },
          ringTimeoutSec: queue.ringTimeoutSec,
          record: queue.record,
        },
      });
      changes.push({
        tenantId,
        agentId: agent.id,
        state: AgentState.OnCall,
        previousState: AgentState.Available,
        entryId: entry.entryId,
        since: booked.rows[0]!.since.toISOString(),
      });
    }
    return { offers, changes };
  });
}

/**
 * Offers booked some seconds ago and never signalled: the process that booked them died between its
 * commit and its signal. Each is handed out once (marked as signalled here) to be signalled again.
 */
export async function staleOffers(pool: Pool, olderThanSec: number, limit = 100): Promise<BookedOffer[]> {
  const { rows } = await pool.query<
    EntryRow & { ring: number; record: boolean; name: string; endpoint: string }
  >(
    `update acd_entries e set offer_signals = offer_signals + 1
       from acd_agents a, queues q
      where e.offer_id is not null and e.offered_at < now() - make_interval(secs => $1) and e.offer_signals = 0
        and a.tenant_id = e.tenant_id and a.agent_id = e.offered_agent and q.id = e.queue_id
        and e.entry_id in (select entry_id from acd_entries where offer_id is not null
                            and offered_at < now() - make_interval(secs => $1) and offer_signals = 0
                          limit $2 for update skip locked)
     returning e.*, a.name, a.endpoint, coalesce((q.config->>'ringTimeoutSec')::int, 20) as ring,
               coalesce((q.config->>'record')::boolean, true) as record`,
    [olderThanSec, limit],
  );
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    entryId: r.entry_id,
    offer: {
      offerId: r.offer_id!,
      agent: { id: r.offered_agent!, name: r.name, endpoint: r.endpoint },
      ringTimeoutSec: r.ring,
      record: r.record,
    },
  }));
}

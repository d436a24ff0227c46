/**
 * Routing state in PostgreSQL (migrations/009): every change an entry's workflow or an agent makes is one
 * short transaction here. Each function is idempotent, because activities run at least once: a retry finds
 * its first try's effect (an offer id that no longer matches, an entry already gone) and changes nothing.
 * Lock order is always entry, then agent; the routing pass (./route.ts) locks with SKIP LOCKED and never
 * waits, so no two of these can deadlock.
 */
import type pg from 'pg';
import type { Pool } from '../db';
import { AgentState, type AgentConfig, type AgentStatus, type QueueEntry } from '../../domain/acd/model';
import { ALLOWED_TRANSITIONS } from '../../domain/acd/routing';

/** An agent's state before and after a change: what becomes an `agent.state_changed` event. */
export interface AgentChange {
  tenantId: string;
  agentId: string;
  state: AgentState;
  previousState: AgentState | undefined;
  reason?: string;
  entryId?: string;
  since: string;
}

/** Refused transition (on a call, nothing but the call's end moves the agent). */
export class InvalidAgentTransitionError extends Error {
  constructor(
    readonly current: AgentState,
    readonly requested: AgentState,
    readonly allowed: readonly AgentState[],
  ) {
    super(
      `an agent who is ${current} cannot become ${requested}; allowed: ${allowed.join(', ') || 'none until the call ends'}`,
    );
    this.name = 'InvalidAgentTransitionError';
  }
}

export interface AgentRow {
  tenant_id: string;
  agent_id: string;
  name: string;
  endpoint: string;
  skills: { name: string; level: number }[];
  queue_ids: string[];
  state: AgentState;
  reason: string | null;
  since: Date;
  available_since: Date | null;
  current_entry: string | null;
  current_queue: string | null;
  offer_id: string | null;
  calls_handled: number;
  wrap_until: Date | null;
}

export interface EntryRow {
  tenant_id: string;
  entry_id: string;
  queue_id: string;
  kind: 'call' | 'callback';
  priority: number;
  skills: { name: string; minLevel: number }[];
  enqueued_at: Date;
  from_number: string;
  offer_id: string | null;
  offered_agent: string | null;
}

export const toAgentStatus = (r: AgentRow): AgentStatus & { availableSince?: string } => ({
  id: r.agent_id,
  name: r.name,
  endpoint: r.endpoint,
  skills: r.skills,
  queueIds: r.queue_ids,
  state: r.state,
  ...(r.reason ? { reason: r.reason } : {}),
  since: r.since.toISOString(),
  ...(r.available_since ? { availableSince: r.available_since.toISOString() } : {}),
  ...(r.current_entry ? { currentEntry: r.current_entry } : {}),
  callsHandled: r.calls_handled,
  ...(r.wrap_until ? { wrapUntil: r.wrap_until.toISOString() } : {}),
});

export const toQueueEntry = (r: EntryRow): QueueEntry => ({
  entryId: r.entry_id,
  kind: r.kind,
  queueId: r.queue_id,
  priority: r.priority,
  skills: r.skills,
  enqueuedAt: r.enqueued_at.toISOString(),
  from: r.from_number,
});

/** Runs `work` in one transaction on its own client. */
export async function inTransaction<T>(pool: Pool, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

const change = (before: AgentRow | undefined, after: AgentRow): AgentChange | undefined =>
  before?.state === after.state && after.state !== AgentState.NotReady
    ? undefined
    : {
        tenantId: after.tenant_id,
        agentId: after.agent_id,
        state: after.state,
        previousState: before?.state,
        ...(after.reason ? { reason: after.reason } : {}),
        ...(after.state === AgentState.OnCall && after.current_entry ? { entryId: after.current_entry } : {}),
        since: after.since.toISOString(),
      };

/** Frees an agent held for `entryId`: wrap-up when the queue asks for it after a conversation. */
async function freeAgent(
  c: pg.PoolClient,
  tenantId: string,
  entryId: string,
  how: { talked: boolean; notReady?: string },
): Promise<AgentChange | undefined> {
  const { rows } = await c.query<AgentRow>(
    'select * from acd_agents where tenant_id = $1 and current_entry = $2 for update',
    [tenantId, entryId],
  );
  const before = rows[0];
  if (!before) return undefined;
  let wrapUpSec = 0;
  if (how.talked && before.current_queue) {
    const q = await c.query<{ wrap: number | null }>(
      `select coalesce((config->>'wrapUpSec')::int, 10) as wrap from queues where id = $1`,
      [before.current_queue],
    );
    wrapUpSec = q.rows[0]?.wrap ?? 0;
  }
  const next = how.notReady
    ? { state: AgentState.NotReady, reason: how.notReady, wrap: null, idle: false }
    : wrapUpSec > 0
      ? { state: AgentState.WrapUp, reason: null, wrap: wrapUpSec, idle: false }
      : // An offer released before anyone talked keeps the agent's place in the longest-idle order.
        { state: AgentState.Available, reason: null, wrap: null, idle: how.talked };
  const after = await c.query<AgentRow>(
    `update acd_agents set state = $3, reason = $4, since = now(),
            wrap_until = case when $5::int is null then null else now() + make_interval(secs => $5::int) end,
            available_since = case when $6 then now() else available_since end,
            calls_handled = calls_handled + $7, current_entry = null, current_queue = null, offer_id = null
      where tenant_id = $1 and agent_id = $2 returning *`,
    [tenantId, before.agent_id, next.state, next.reason, next.wrap, next.idle, how.talked ? 1 : 0],
  );
  return change(before, after.rows[0]!);
}

/** Puts an entry in line; a retry, or an entry already in line, changes nothing. */
export async function enterQueue(pool: Pool, tenantId: string, entry: QueueEntry): Promise<void> {
  await pool.query(
    `insert into acd_entries (tenant_id, entry_id, queue_id, kind, priority, skills, enqueued_at, from_number)
     values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing`,
    [
      tenantId,
      entry.entryId,
      entry.queueId,
      entry.kind,
      entry.priority,
      JSON.stringify(entry.skills),
      entry.enqueuedAt,
      entry.from,
    ],
  );
}

/**
 * Takes an entry out of line (caller hung up, overflow, callback cancelled or expired). An agent offered
 * to it and not yet answered is freed with their idle time intact; an abandon is counted once.
 */
export async function leaveQueue(
  pool: Pool,
  tenantId: string,
  entryId: string,
  reason: 'abandoned' | 'overflow' | 'cancelled',
): Promise<AgentChange[]> {
  return inTransaction(pool, async (c) => {
    const { rows } = await c.query<EntryRow>(
      'delete from acd_entries where tenant_id = $1 and entry_id = $2 returning *',
      [tenantId, entryId],
    );
    const entry = rows[0];
    if (!entry) return [];
    if (reason !== 'cancelled') {
      await c.query(
        `insert into acd_outcomes (id, tenant_id, entry_id, queue_id, kind, reason, enqueued_at, wait_sec)
         values ($1, $2, $3, $4, 'abandoned', $6, $5, extract(epoch from now() - $5::timestamptz))
         on conflict do nothing`,
        [
          `${entryId}/${entry.queue_id}/${entry.enqueued_at.toISOString()}/abandoned`,
          tenantId,
          entryId,
          entry.queue_id,
          entry.enqueued_at,
          reason,
        ],
      );
    }
    const freed = entry.offer_id ? await freeAgent(c, tenantId, entryId, { talked: false }) : undefined;
    return freed ? [freed] : [];
  });
}

/**
 * How an offer ended. Answered: the entry leaves the line and the agent stays on the call until
 * `endCall`. Not answered: the entry keeps its place (it is at the head: it was being served) and the
 * agent becomes not ready, as a missed call. An offer id that no longer matches is a retry: ignored.
 */
export async function reportOffer(
  pool: Pool,
  tenantId: string,
  {
    entryId,
    offerId,
    outcome,
  }: { entryId: string; offerId: string; outcome: 'answered' | 'no_answer' | 'failed' },
): Promise<AgentChange[]> {
  return inTransaction(pool, async (c) => {
    const { rows } = await c.query<EntryRow>(
      'select * from acd_entries where tenant_id = $1 and entry_id = $2 and offer_id = $3 for update',
      [tenantId, entryId, offerId],
    );
    const entry = rows[0];
    if (!entry) return [];
    if (outcome === 'answered') {
      await c.query('delete from acd_entries where tenant_id = $1 and entry_id = $2', [tenantId, entryId]);
      await c.query(
        `insert into acd_outcomes (id, tenant_id, entry_id, queue_id, kind, agent_id, enqueued_at, wait_sec)
         values ($1, $2, $3, $4, 'answered', $5, $6, extract(epoch from now() - $6::timestamptz))
         on conflict do nothing`,
        [offerId, tenantId, entryId, entry.queue_id, entry.offered_agent, entry.enqueued_at],
      );
      return [];
    }
    await c.query(
      `update acd_entries set offer_id = null, offered_agent = null, offered_at = null, offer_signals = 0
        where tenant_id = $1 and entry_id = $2`,
      [tenantId, entryId],
    );
    const missed = await freeAgent(c, tenantId, entryId, {
      talked: false,
      notReady: outcome === 'no_answer' ? 'ring_timeout' : 'dial_failed',
    });
    return missed ? [missed] : [];
  });
}

/** The conversation ended: the agent goes to wrap-up (or available), the talk time joins the statistics. */
export async function endCall(
  pool: Pool,
  tenantId: string,
  { entryId, talkSeconds }: { entryId: string; talkSeconds: number },
): Promise<AgentChange[]> {
  return inTransaction(pool, async (c) => {
    const freed = await freeAgent(c, tenantId, entryId, { talked: true });
    if (!freed) return [];
    await c.query(
      `update acd_outcomes set talk_sec = $4
        where tenant_id = $1 and entry_id = $2 and kind = 'answered' and agent_id = $3 and talk_sec is null`,
      [tenantId, entryId, freed.agentId, talkSeconds],
    );
    return [freed];
  });
}

/**
 * Frees whatever an entry still holds when its workflow gives up on an offer or on the entry (a failure, a
 * cancellation, a dead leg): an open offer is withdrawn and the entry keeps its place; an agent still held
 * for the entry is available again (after wrap-up if they talked). With `failed`, ringing the agent failed
 * for good: the entry is held back a few seconds (doubling with each failure in a row, a minute at most)
 * so a broken dial cannot loop. Called from a `finally`: harmless when everything was already reported.
 */
export async function releaseEntry(
  pool: Pool,
  tenantId: string,
  { entryId, talked, failed = false }: { entryId: string; talked: boolean; failed?: boolean },
): Promise<AgentChange[]> {
  return inTransaction(pool, async (c) => {
    await c.query(
      `update acd_entries set offer_id = null, offered_agent = null, offered_at = null, offer_signals = 0,
              hold_until = case when $3 then now() + make_interval(secs => least(60, 5 * 2 ^ system_failures))
                                else hold_until end,
              system_failures = system_failures + case when $3 then 1 else 0 end
        where tenant_id = $1 and entry_id = $2 and offer_id is not null`,
      [tenantId, entryId, failed],
    );
    const freed = await freeAgent(c, tenantId, entryId, { talked });
    return freed ? [freed] : [];
  });
}

/** Entries whose hold-back is over, made routable again: the tenants to route. */
export async function endHolds(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ tenant_id: string }>(
    'update acd_entries set hold_until = null where hold_until <= now() returning tenant_id',
  );
  return [...new Set(rows.map((r) => r.tenant_id))];
}

/**
 * An agent's state change from the API (log in, break, log out). The configuration given is the current
 * row, copied for routing. Refused with InvalidAgentTransitionError when the state machine forbids it.
 */
export async function setAgentState(
  pool: Pool,
  tenantId: string,
  { agent, state: next, reason }: { agent: AgentConfig; state: AgentState; reason?: string },
): Promise<{ status: AgentStatus; changes: AgentChange[] }> {
  return inTransaction(pool, async (c) => {
    const { rows } = await c.query<AgentRow>(
      'select * from acd_agents where tenant_id = $1 and agent_id = $2 for update',
      [tenantId, agent.id],
    );
    const before = rows[0];
    const current = before?.state ?? AgentState.Offline;
    // An agent never routed has no row yet: saying offline then writes one rather than updating none.
    const repeated = before !== undefined && current === next && next !== AgentState.NotReady;
    if (!repeated && !ALLOWED_TRANSITIONS[current].includes(next)) {
      throw new InvalidAgentTransitionError(current, next, ALLOWED_TRANSITIONS[current]);
    }
    const config = [agent.name, agent.endpoint, JSON.stringify(agent.skills), agent.queueIds];
    const after = repeated
      ? // Said again: configuration refreshed, an available agent keeps their place in the idle order.
        await c.query<AgentRow>(
          `update acd_agents set name = $3, endpoint = $4, skills = $5, queue_ids = $6
            where tenant_id = $1 and agent_id = $2 returning *`,
          [tenantId, agent.id, ...config],
        )
      : await c.query<AgentRow>(
          `insert into acd_agents (tenant_id, agent_id, name, endpoint, skills, queue_ids, state, reason, since,
                                   available_since)
           values ($1, $2, $3, $4, $5, $6, $7, $8, now(), case when $7 = 'available' then now() end)
           on conflict (tenant_id, agent_id) do update set
             name = excluded.name, endpoint = excluded.endpoint, skills = excluded.skills,
             queue_ids = excluded.queue_ids, state = excluded.state, reason = excluded.reason, since = now(),
             available_since = coalesce(excluded.available_since, acd_agents.available_since),
             wrap_until = null
           returning *`,
          [tenantId, agent.id, ...config, next, next === AgentState.NotReady ? (reason ?? null) : null],
        );
    const row = after.rows[0]!;
    const changed = repeated ? undefined : change(before, row);
    return { status: toAgentStatus(row), changes: changed ? [changed] : [] };
  });
}

/** Ends wrap-up for every agent whose wrap-up time is over, across tenants. */
export async function endWrapUps(pool: Pool): Promise<AgentChange[]> {
  const { rows } = await pool.query<AgentRow>(
    `update acd_agents set state = 'available', since = now(), available_since = now(), wrap_until = null,
            reason = null
      where state = 'wrap_up' and wrap_until <= now() returning *`,
  );
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    agentId: r.agent_id,
    state: AgentState.Available,
    previousState: AgentState.WrapUp,
    since: r.since.toISOString(),
  }));
}

/** Outcomes older than this are of no statistic's use. */
export const OUTCOME_RETENTION = '2 hours';

export async function pruneOutcomes(pool: Pool): Promise<number> {
  const { rowCount } = await pool.query(`delete from acd_outcomes where at < now() - $1::interval`, [
    OUTCOME_RETENTION,
  ]);
  return rowCount ?? 0;
}

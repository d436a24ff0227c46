/**
 * Historical queue and agent reports (issue #19) from the stored per-contact facts: each entry's outcome in
 * `acd_outcomes` (queued at, answered by whom or left unanswered and why, time waited, talk time). Bucketed
 * by when the contact was queued, per 15 or 30 minutes, hour or day, in a time zone's local time.
 * docs/operations.md, "Reports", defines each figure.
 */
import type { Pool } from '../db';
import type { AgentReportRow, QueueReportRow } from '../../domain/reports/rows';

export type { AgentReportRow, QueueReportRow };

export const INTERVALS = { '15m': '15 minutes', '30m': '30 minutes', '1h': '1 hour', day: '1 day' } as const;
export type Interval = keyof typeof INTERVALS;

/** The queue's own threshold when none is asked for. @default 20 */
export const DEFAULT_SERVICE_LEVEL_SEC = 20;

export interface ReportRange {
  tenantId: string;
  from: string;
  to: string;
  interval: Interval;
  /** IANA zone the intervals are cut in. */
  timeZone: string;
  queueId?: string;
}

export interface QueueReportOptions extends ReportRange {
  /** Seconds within which a contact counts for the service level; each queue's own when absent. */
  serviceLevelSec?: number;
  /** An abandon before this many seconds is a short abandon. */
  shortAbandonSec: number;
  /** Leave short abandons out of the Genesys-style service level's denominator. */
  excludeShortAbandons: boolean;
}

const round = (n: number | null, places = 1) =>
  n === null || n === undefined ? null : Math.round(Number(n) * 10 ** places) / 10 ** places;

/** The bucket of `local` (a local timestamp): `date_bin` for minutes and hours, `date_trunc` for days. */
const BUCKET = `case when $5 = '1 day' then date_trunc('day', o.local_at)
                     else date_bin($5::interval, o.local_at, timestamp '2000-01-01') end`;

export async function queueReport(pool: Pool, o: QueueReportOptions): Promise<QueueReportRow[]> {
  const { rows } = await pool.query<{
    bucket: Date;
    local_start: string;
    queue_id: string;
    queue_name: string;
    sl: number;
    wrap_up: number;
    offered: number;
    answered: number;
    abandoned: number;
    short_abandoned: number;
    overflowed: number;
    answered_in_sl: number;
    removed_in_sl: number;
    asa: number | null;
    avg_abandon: number | null;
    avg_talk: number | null;
  }>(
    `with o as (
       select o.*, o.enqueued_at at time zone $4 as local_at,
              coalesce($7::int, (q.config->>'serviceLevelSec')::int, ${DEFAULT_SERVICE_LEVEL_SEC}) as sl,
              coalesce((q.config->>'wrapUpSec')::int, 0) as wrap_up, q.name as queue_name
         from acd_outcomes o join queues q on q.id = o.queue_id
        where o.tenant_id = $1 and o.enqueued_at >= $2 and o.enqueued_at < $3
          and ($6::uuid is null or o.queue_id = $6)
     ), b as (
       select o.*, ${BUCKET} as local_bucket,
              o.kind = 'abandoned' and coalesce(o.reason, 'abandoned') = 'abandoned' as gave_up
         from o
     )
     select local_bucket at time zone $4 as bucket, to_char(local_bucket, 'YYYY-MM-DD"T"HH24:MI') as local_start,
            queue_id::text, min(queue_name) as queue_name, min(sl) as sl, min(wrap_up) as wrap_up,
            count(*)::int as offered,
            count(*) filter (where kind = 'answered')::int as answered,
            count(*) filter (where gave_up)::int as abandoned,
            count(*) filter (where gave_up and wait_sec < $8)::int as short_abandoned,
            count(*) filter (where reason = 'overflow')::int as overflowed,
            count(*) filter (where kind = 'answered' and wait_sec <= sl)::int as answered_in_sl,
            count(*) filter (where wait_sec <= sl)::int as removed_in_sl,
            (avg(wait_sec) filter (where kind = 'answered'))::float8 as asa,
            (avg(wait_sec) filter (where gave_up))::float8 as avg_abandon,
            (avg(talk_sec) filter (where kind = 'answered' and talk_sec is not null))::float8 as avg_talk
       from b
      group by local_bucket, queue_id
      order by local_bucket, queue_name, queue_id`,
    [
      o.tenantId,
      o.from,
      o.to,
      o.timeZone,
      INTERVALS[o.interval],
      o.queueId ?? null,
      o.serviceLevelSec ?? null,
      o.shortAbandonSec,
    ],
  );
  return rows.map((r) => {
    const genesysBase = r.answered + r.abandoned - (o.excludeShortAbandons ? r.short_abandoned : 0);
    return {
      start: r.bucket.toISOString(),
      localStart: r.local_start,
      queueId: r.queue_id,
      queueName: r.queue_name,
      offered: r.offered,
      answered: r.answered,
      abandoned: r.abandoned,
      shortAbandoned: r.short_abandoned,
      overflowed: r.overflowed,
      serviceLevelSec: r.sl,
      answeredWithinServiceLevel: r.answered_in_sl,
      serviceLevelConnect: r.offered ? round(r.removed_in_sl / r.offered, 4) : null,
      serviceLevelGenesys: genesysBase > 0 ? round(r.answered_in_sl / genesysBase, 4) : null,
      averageSpeedOfAnswerSec: round(r.asa),
      averageAbandonSec: round(r.avg_abandon),
      averageTalkSec: round(r.avg_talk),
      averageHandleSec: r.avg_talk === null ? null : round(r.avg_talk + r.wrap_up),
    };
  });
}

/** Per agent and interval: the contacts each answered, their talk time, how long those had waited. */
export async function agentReport(pool: Pool, o: ReportRange): Promise<AgentReportRow[]> {
  const { rows } = await pool.query<{
    bucket: Date;
    local_start: string;
    agent_id: string;
    agent_name: string;
    answered: number;
    talk: number | null;
    avg_talk: number | null;
    asa: number | null;
  }>(
    `with o as (
       select o.*, o.enqueued_at at time zone $4 as local_at
         from acd_outcomes o
        where o.tenant_id = $1 and o.enqueued_at >= $2 and o.enqueued_at < $3 and o.kind = 'answered'
          and o.agent_id is not null and ($6::uuid is null or o.queue_id = $6)
     ), b as (select o.*, ${BUCKET} as local_bucket from o)
     select local_bucket at time zone $4 as bucket, to_char(local_bucket, 'YYYY-MM-DD"T"HH24:MI') as local_start,
            b.agent_id::text, coalesce(min(a.name), b.agent_id::text) as agent_name,
            count(*)::int as answered, sum(talk_sec)::float8 as talk, avg(talk_sec)::float8 as avg_talk,
            avg(wait_sec)::float8 as asa
       from b left join agents a on a.id = b.agent_id
      group by local_bucket, b.agent_id
      order by local_bucket, agent_name`,
    [o.tenantId, o.from, o.to, o.timeZone, INTERVALS[o.interval], o.queueId ?? null],
  );
  return rows.map((r) => ({
    start: r.bucket.toISOString(),
    localStart: r.local_start,
    agentId: r.agent_id,
    agentName: r.agent_name,
    answered: r.answered,
    talkSec: round(r.talk ?? 0) ?? 0,
    averageTalkSec: round(r.avg_talk),
    averageSpeedOfAnswerSec: round(r.asa),
  }));
}

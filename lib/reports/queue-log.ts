/**
 * The queue outcomes of a period in Asterisk's `queue_log` format (`epoch|callid|queue|agent|event|data…`),
 * so that tools written for Asterisk's queue logs read CTICloud's. From each stored outcome:
 * ENTERQUEUE when queued; then CONNECT (hold time) and COMPLETECALLER (hold and talk time) for an answered
 * one, ABANDON (position, original position, wait) for a caller who gave up, EXITWITHTIMEOUT for one the
 * queue sent on. CTICloud does not record which side hung up, nor positions in line: COMPLETECALLER and
 * position 1 stand for them. Queue and agent are their names, `|` removed.
 */
import type { Pool } from '../db';

const field = (s: string | null | undefined) => (s ?? '').replace(/[|\r\n]/g, ' ');
const epoch = (ms: number) => Math.floor(ms / 1000);

export async function queueLog(
  pool: Pool,
  o: { tenantId: string; from: string; to: string; queueId?: string },
): Promise<string[]> {
  const { rows } = await pool.query<{
    entry_id: string;
    queue: string;
    agent: string | null;
    kind: string;
    reason: string | null;
    enqueued_at: Date;
    wait_sec: number;
    talk_sec: number | null;
  }>(
    `select o.entry_id, q.name as queue, a.name as agent, o.kind, o.reason, o.enqueued_at, o.wait_sec, o.talk_sec
       from acd_outcomes o join queues q on q.id = o.queue_id left join agents a on a.id = o.agent_id
      where o.tenant_id = $1 and o.enqueued_at >= $2 and o.enqueued_at < $3
        and ($4::uuid is null or o.queue_id = $4)
      order by o.enqueued_at, o.entry_id`,
    [o.tenantId, o.from, o.to, o.queueId ?? null],
  );
  const lines: { at: number; line: string }[] = [];
  for (const r of rows) {
    const queued = r.enqueued_at.getTime();
    const left = queued + r.wait_sec * 1000;
    const wait = Math.round(r.wait_sec);
    const add = (at: number, agent: string, event: string, ...data: (string | number)[]) =>
      lines.push({
        at,
        line: [epoch(at), field(r.entry_id), field(r.queue), agent, event, ...data].join('|'),
      });
    add(queued, 'NONE', 'ENTERQUEUE', '', '');
    if (r.kind === 'answered') {
      const agent = field(r.agent) || 'NONE';
      add(left, agent, 'CONNECT', wait, '', 0);
      if (r.talk_sec !== null) {
        add(left + r.talk_sec * 1000, agent, 'COMPLETECALLER', wait, Math.round(r.talk_sec), 1);
      }
    } else if (r.reason === 'overflow') {
      add(left, 'NONE', 'EXITWITHTIMEOUT', 1, 1, wait);
    } else {
      add(left, 'NONE', 'ABANDON', 1, 1, wait);
    }
  }
  return lines.sort((a, b) => a.at - b.at).map((l) => l.line);
}

/** Per campaign, its attempts of the period by disposition (those still dialing as `in_progress`). */
export async function campaignReport(
  pool: Pool,
  o: { tenantId: string; from: string; to: string },
): Promise<
  { campaignId: string; campaignName: string; attempts: number; byDisposition: Record<string, number> }[]
> {
  const { rows } = await pool.query<{ id: string; name: string; disposition: string; n: number }>(
    `select c.id::text, c.name, coalesce(a.disposition, 'in_progress') as disposition, count(*)::int as n
       from campaign_attempts a join campaigns c on c.id = a.campaign_id
      where c.tenant_id = $1 and a.started_at >= $2 and a.started_at < $3
      group by c.id, c.name, 3
      order by c.name, 3`,
    [o.tenantId, o.from, o.to],
  );
  const byCampaign = new Map<
    string,
    { campaignId: string; campaignName: string; attempts: number; byDisposition: Record<string, number> }
  >();
  for (const r of rows) {
    const c = byCampaign.get(r.id) ?? {
      campaignId: r.id,
      campaignName: r.name,
      attempts: 0,
      byDisposition: {},
    };
    c.attempts += r.n;
    c.byDisposition[r.disposition] = r.n;
    byCampaign.set(r.id, c);
  }
  return [...byCampaign.values()];
}

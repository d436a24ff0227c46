/**
 * CTICloud's business metrics, read at scrape time from what PostgreSQL already holds (routing rows, queue
 * outcomes, CDRs, webhook deliveries, campaigns, tickets, the other site's heartbeat) and from Temporal's
 * visibility (calls and callbacks running). One snapshot per scrape, shared by every gauge and kept a second,
 * so a scrape costs a dozen queries whatever the number of gauges. Labels are bounded: a queue appears while
 * it has anything to tell (someone waiting, an agent signed in, an outcome in the last hour), the busiest
 * MAX_QUEUES of them; campaigns only while running; and no metric ever has more than MAX_SERIES series.
 * docs/operations.md lists each metric and what it means.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Pool } from '../db';
import { readQueueStats, type TenantQueueStats } from '../acd/queue-stats';

/** Queues shown at most: a platform with more active queues than this shows its busiest. @default 500 */
export const MAX_QUEUES = 500;
/** Series per metric at most, whatever the labels. @default 2000 */
export const MAX_SERIES = 2000;
/** How long one snapshot serves scrapes (Prometheus and a second scraper a moment apart). @default 1000 */
const SNAPSHOT_MS = 1000;

export interface BusinessMetricsDeps {
  pool: Pool;
  /** Running workflows matching a visibility query (Temporal's count), or undefined where none is reachable. */
  countRunning?: (query: string) => Promise<number>;
  /** The other site, when two run: its heartbeat's lag is the replication lag. */
  peerSite?: string;
  /** JetStream's durable consumers and how far behind each is (router, webhook dispatcher, mirrors). */
  consumers?: () => Promise<ConsumerLag[]>;
}

export interface ConsumerLag {
  stream: string;
  consumer: string;
  /** Messages not yet delivered to it. */
  pending: number;
  /** Delivered, not yet acknowledged. */
  ackPending: number;
}

interface Snapshot {
  queues: TenantQueueStats[];
  agents: { tenant_id: string; state: string; n: number }[];
  calls15m: { tenant_id: string; disposition: string; ended_by: string; n: number }[];
  webhooks15m: { status: string; n: number }[];
  campaigns: { id: string; tenant_id: string; rate: number | null; last_minute: number }[];
  tickets: { tenant_id: string; open: number; breached: number }[];
  peer?: { lagSec: number | null; ageSec: number | null };
  callsActive?: number;
  callbacksPending?: number;
  consumers: ConsumerLag[];
}

export function registerBusinessMetrics(registry: Registry, deps: BusinessMetricsDeps): void {
  let cached: { at: number; snapshot: Promise<Snapshot> } | undefined;
  const snapshot = () => {
    if (!cached || Date.now() - cached.at > SNAPSHOT_MS) {
      cached = { at: Date.now(), snapshot: read(deps) };
      // A failed read is not kept: the next scrape tries again.
      cached.snapshot.catch(() => (cached = undefined));
    }
    return cached.snapshot;
  };
  const gauge = (
    name: string,
    help: string,
    labelNames: readonly string[],
    fill: (s: Snapshot, set: (labels: Record<string, string>, value: number) => void) => void,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const s = await snapshot();
        this.reset();
        let series = 0;
        fill(s, (labels, value) => {
          if (series++ < MAX_SERIES && Number.isFinite(value)) this.set(labels, value);
        });
      },
    });
  // Queues with something to tell, busiest first, so the cap keeps the ones that matter.
  const activity = (x: TenantQueueStats) =>
    x.waiting * 1000 +
    x.answered60m +
    x.abandoned60m +
    (Object.values(x.agents).reduce((a, b) => a + b, 0) - x.agents.offline);
  const queues = (s: Snapshot) =>
    s.queues
      .filter((x) => activity(x) > 0)
      .sort((a, b) => activity(b) - activity(a))
      .slice(0, MAX_QUEUES);
  const q = (x: TenantQueueStats) => ({ tenant: x.tenantId, queue: x.queueId });

  gauge('cticloud_queue_waiting', 'Calls and callbacks waiting in the queue', ['tenant', 'queue'], (s, set) =>
    queues(s).forEach((x) => set(q(x), x.waiting)),
  );
  gauge(
    'cticloud_queue_longest_wait_seconds',
    'How long the longest-waiting entry of the queue has waited',
    ['tenant', 'queue'],
    (s, set) => queues(s).forEach((x) => set(q(x), x.longestWaitSec)),
  );
  gauge(
    'cticloud_queue_service_level_ratio',
    "Answered within the queue's service-level threshold ÷ (answered + abandoned), over the window",
    ['tenant', 'queue', 'window'],
    (s, set) =>
      queues(s).forEach((x) => {
        if (x.serviceLevel.last15m !== null) set({ ...q(x), window: '15m' }, x.serviceLevel.last15m);
        if (x.serviceLevel.last60m !== null) set({ ...q(x), window: '60m' }, x.serviceLevel.last60m);
      }),
  );
  gauge(
    'cticloud_queue_outcomes_60m',
    'Queue entries answered or abandoned in the last hour',
    ['tenant', 'queue', 'outcome'],
    (s, set) =>
      queues(s).forEach((x) => {
        set({ ...q(x), outcome: 'answered' }, x.answered60m);
        set({ ...q(x), outcome: 'abandoned' }, x.abandoned60m);
      }),
  );
  gauge('cticloud_agents', 'Agents by routing state', ['tenant', 'state'], (s, set) =>
    s.agents.forEach((r) => set({ tenant: r.tenant_id, state: r.state }, r.n)),
  );
  gauge(
    'cticloud_calls_ended_15m',
    'Calls ended in the last 15 minutes, by disposition and who ended them (CDRs)',
    ['tenant', 'disposition', 'ended_by'],
    (s, set) =>
      s.calls15m.forEach((r) =>
        set({ tenant: r.tenant_id, disposition: r.disposition, ended_by: r.ended_by }, r.n),
      ),
  );
  gauge(
    'cticloud_webhook_deliveries_15m',
    'Webhook delivery attempts in the last 15 minutes, by result',
    ['status'],
    (s, set) => s.webhooks15m.forEach((r) => set({ status: r.status }, r.n)),
  );
  gauge(
    'cticloud_campaign_attempts_last_minute',
    'Attempts a running campaign started in the last minute (compare with its configured rate × 60)',
    ['tenant', 'campaign'],
    (s, set) => s.campaigns.forEach((c) => set({ tenant: c.tenant_id, campaign: c.id }, c.last_minute)),
  );
  gauge(
    'cticloud_campaign_configured_calls_per_second',
    "A running campaign's configured pacing",
    ['tenant', 'campaign'],
    (s, set) =>
      s.campaigns.forEach((c) => c.rate !== null && set({ tenant: c.tenant_id, campaign: c.id }, c.rate)),
  );
  gauge('cticloud_tickets_open', 'Open tickets', ['tenant'], (s, set) =>
    s.tickets.forEach((t) => set({ tenant: t.tenant_id }, t.open)),
  );
  gauge('cticloud_tickets_sla_breached_open', 'Open tickets past an SLA target', ['tenant'], (s, set) =>
    s.tickets.forEach((t) => set({ tenant: t.tenant_id }, t.breached)),
  );
  gauge('cticloud_calls_active', 'Calls in progress (running call workflows)', [], (s, set) => {
    if (s.callsActive !== undefined) set({}, s.callsActive);
  });
  gauge(
    'cticloud_callbacks_pending',
    'Callbacks not finished (scheduled, queued or dialing)',
    [],
    (s, set) => {
      if (s.callbacksPending !== undefined) set({}, s.callbacksPending);
    },
  );
  gauge(
    'cticloud_jetstream_consumer_pending',
    'Messages of a stream not yet delivered to a durable consumer (ARI events to the router, events to the webhook dispatcher)',
    ['stream', 'consumer'],
    (s, set) => s.consumers.forEach((c) => set({ stream: c.stream, consumer: c.consumer }, c.pending)),
  );
  gauge(
    'cticloud_jetstream_consumer_ack_pending',
    'Messages delivered to a durable consumer and not yet acknowledged',
    ['stream', 'consumer'],
    (s, set) => s.consumers.forEach((c) => set({ stream: c.stream, consumer: c.consumer }, c.ackPending)),
  );
  gauge(
    'cticloud_site_replication_lag_seconds',
    "How late the other site's last heartbeat arrived here (configuration replication lag)",
    ['peer'],
    (s, set) => {
      if (deps.peerSite && s.peer?.lagSec != null) set({ peer: deps.peerSite }, s.peer.lagSec);
    },
  );
  gauge(
    'cticloud_site_replication_age_seconds',
    "Time since the other site's last heartbeat was applied here: grows without bound while it is gone",
    ['peer'],
    (s, set) => {
      if (deps.peerSite && s.peer?.ageSec != null) set({ peer: deps.peerSite }, s.peer.ageSec);
    },
  );
}

async function read({ pool, countRunning, peerSite, consumers }: BusinessMetricsDeps): Promise<Snapshot> {
  const count = (query: string) => countRunning?.(query).catch(() => undefined) ?? Promise.resolve(undefined);
  const [
    queues,
    agents,
    calls15m,
    webhooks15m,
    campaigns,
    tickets,
    peer,
    callsActive,
    callbacksPending,
    lags,
  ] = await Promise.all([
    readQueueStats(pool, 'all'),
    rows<Snapshot['agents'][number]>(
      pool,
      `select tenant_id, state, count(*)::int as n from acd_agents group by tenant_id, state`,
    ),
    rows<Snapshot['calls15m'][number]>(
      pool,
      `select tenant_id, disposition, ended_by, count(*)::int as n from cdrs
          where ended_at >= now() - interval '15 minutes' group by tenant_id, disposition, ended_by`,
    ),
    rows<Snapshot['webhooks15m'][number]>(
      pool,
      `select status, count(*)::int as n from webhook_deliveries
          where attempted_at >= now() - interval '15 minutes' group by status`,
    ),
    rows<Snapshot['campaigns'][number]>(
      pool,
      `select c.id::text, c.tenant_id, (c.config->'pacing'->>'callsPerSecond')::float8 as rate,
                (select count(*)::int from campaign_attempts a
                  where a.campaign_id = c.id and a.started_at >= now() - interval '1 minute') as last_minute
           from campaigns c where c.state = 'running'`,
    ),
    rows<Snapshot['tickets'][number]>(
      pool,
      `select tenant_id, count(*)::int as open, (count(*) filter (where sla_breached))::int as breached
           from tickets where status not in ('solved', 'closed') group by tenant_id`,
    ),
    peerSite
      ? rows<{ lag: number | null; age: number | null }>(
          pool,
          `select extract(epoch from applied_at - beat_at)::float8 as lag,
                    extract(epoch from now() - applied_at)::float8 as age
               from site_heartbeats where site = $1`,
          [peerSite],
        ).then((r) => r[0] && { lagSec: r[0].lag, ageSec: r[0].age })
      : Promise.resolve(undefined),
    count(`WorkflowType IN ('CallWorkflow', 'FlowCallWorkflow') AND ExecutionStatus = 'Running'`),
    count(`WorkflowType = 'CallbackWorkflow' AND ExecutionStatus = 'Running'`),
    consumers?.().catch(() => []) ?? Promise.resolve([]),
  ]);
  return {
    queues,
    agents,
    calls15m,
    webhooks15m,
    campaigns,
    tickets,
    peer,
    callsActive,
    callbacksPending,
    consumers: lags,
  };
}

async function rows<T extends object>(pool: Pool, sql: string, args: unknown[] = []): Promise<T[]> {
  return (await pool.query<T>(sql, args)).rows;
}
